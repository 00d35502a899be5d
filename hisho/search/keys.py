"""Each errand's blind-index key: made, sealed and opened through the vault.

The key is 32 random bytes sealed under the errand's data key (vault field
`search_key`): opening it takes no reader and logs no read, because it is not customer
content — but it opens only while the customer's key exists, so shredding ends search.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Sequence

from hisho.vault.sealing import Place, Scope, Sealed, open_key_fields, seal

TABLE = "search_errandsearchkey"
FIELD = "search_key"
# The digest names its purpose and version: a key used for another purpose later would
# not reproduce these digests.
_LABEL = b"hisho-search/1|"


def _place(errand_id: uuid.UUID) -> Place:
    return Place(TABLE, str(errand_id), FIELD)


def new_sealed_key(customer_id: int, errand_id: uuid.UUID) -> bytes:
    key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    sealed = seal(Scope(customer_id, errand_id), _place(errand_id), key)
    assert sealed is not None  # noqa: S101 - a non-empty value always seals
    return sealed


def open_keys(rows: Sequence[tuple[uuid.UUID, int, Sealed]]) -> dict[uuid.UUID, bytes]:
    """(errand id, customer id, sealed key) → the keys that open, by errand id."""
    opened = open_key_fields(
        [
            (Scope(customer_id, errand_id), _place(errand_id), token)
            for errand_id, customer_id, token in rows
        ]
    )
    return {
        errand_id: base64.b64decode(text)
        for (errand_id, _, _), text in zip(rows, opened, strict=True)
        if text is not None
    }


def digest(key: bytes, token: str) -> int:
    mac = hmac.new(key, _LABEL + token.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big", signed=True)


def digests(key: bytes, words: Iterable[str]) -> set[int]:
    return {digest(key, word) for word in words}
