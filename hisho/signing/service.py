"""The one signing service (promise O3): Ed25519 signatures over bytes and over JSON
documents, verifiable by anyone with the keys published at
`/.well-known/hisho-signing-keys.json`.

    sig = sign(b"...")                  # Signature(key_id, signature)
    verify(b"...", sig)                 # True / False
    doc = sign_document({"type": ...})  # {"payload": {...}, "signature": {...}}
    payload = verify_document(doc)      # the payload, or BadSignature

A signed document is::

    {"payload": <any JSON object>,
     "signature": {"alg": "Ed25519", "key_id": "sk-…", "value": "<base64url, no padding>"}}

where the signature covers `canonical_json(payload)` (hisho.signing.canonical). Audit
checkpoints and disclosure bundles are signed this way; exports, erasure receipts and
webhooks will be.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hisho.signing import keys
from hisho.signing.canonical import canonical_json
from hisho.signing.models import SigningKey

ALG = "Ed25519"


class BadSignature(Exception):
    """A signature or signed document that does not verify. `reason` is a fixed word:
    malformed, unknown_key, invalid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Signature:
    key_id: str
    signature: bytes

    @property
    def value(self) -> str:
        """The signature as base64url without padding (as in signed documents)."""
        return b64url(self.signature)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii():
        raise BadSignature("malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadSignature("malformed") from None


def sign(payload: bytes) -> Signature:
    """Sign with the active key (made on first use)."""
    from hisho.signing.actions import do_ensure_signing_key

    row = do_ensure_signing_key()
    return Signature(row.key_id, keys.open_private(row).sign(payload))


def sign_with_public_key(payload: bytes) -> tuple[Signature, bytes]:
    """Sign with the active key; also its raw public key (signed notes name the key by a
    hash of it: hisho.audit.note)."""
    from hisho.signing.actions import do_ensure_signing_key

    row = do_ensure_signing_key()
    return Signature(row.key_id, keys.open_private(row).sign(payload)), bytes(row.public_key)


def verify(payload: bytes, signature: Signature) -> bool:
    """True if `signature` is a signature over `payload` by one of Hisho's keys (active or
    retired)."""
    public = keys.trusted_public_key(signature.key_id)
    if public is None:
        return False
    try:
        public.verify(signature.signature, payload)
    except InvalidSignature:
        return False
    return True


def sign_document(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with its signature: `{"payload": …, "signature": {alg, key_id, value}}`."""
    signature = sign(canonical_json(payload))
    return {
        "payload": payload,
        "signature": {"alg": ALG, "key_id": signature.key_id, "value": signature.value},
    }


def _parts(document: Any) -> tuple[dict[str, Any], Signature]:
    if not isinstance(document, dict) or set(document) != {"payload", "signature"}:
        raise BadSignature("malformed")
    payload, signature = document["payload"], document["signature"]
    if not isinstance(payload, dict) or not isinstance(signature, dict):
        raise BadSignature("malformed")
    if signature.get("alg") != ALG or not isinstance(signature.get("key_id"), str):
        raise BadSignature("malformed")
    return payload, Signature(signature["key_id"], from_b64url(signature.get("value", "")))


def verify_document(document: Any) -> dict[str, Any]:
    """The payload of a document Hisho signed; BadSignature if it is not one."""
    payload, signature = _parts(document)
    try:
        message = canonical_json(payload)
    except ValueError:
        raise BadSignature("malformed") from None
    if keys.trusted_public_key(signature.key_id) is None:
        raise BadSignature("unknown_key")
    if not verify(message, signature):
        raise BadSignature("invalid")
    return payload


def verify_with_published_keys(document: Any, published: dict[str, Any]) -> dict[str, Any]:
    """Verify as an outsider does: with the JSON of /.well-known/hisho-signing-keys.json
    (or a pinned copy of it) and no access to Hisho's database."""
    payload, signature = _parts(document)
    listed = published.get("keys") if isinstance(published, dict) else None
    for jwk in listed if isinstance(listed, list) else []:
        if isinstance(jwk, dict) and jwk.get("kid") == signature.key_id:
            try:
                public = Ed25519PublicKey.from_public_bytes(from_b64url(str(jwk.get("x", ""))))
                public.verify(signature.signature, canonical_json(payload))
            except (InvalidSignature, ValueError):
                raise BadSignature("invalid") from None
            return payload
    raise BadSignature("unknown_key")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def published_keys() -> dict[str, Any]:
    """Every signing key's public half as a JSON Web Key Set (RFC 8037 OKP keys)."""
    return {
        "keys": [
            {
                "kid": row.key_id,
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64url(bytes(row.public_key)),
                "use": "sig",
                "alg": "EdDSA",
                "status": "active" if row.active else "retired",
                "created_at": _iso(row.created_at),
                "retired_at": _iso(row.retired_at),
            }
            for row in SigningKey.objects.order_by("created_at", "key_id")
        ]
    }
