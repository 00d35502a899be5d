"""The signing key store: making keys, finding the active one, opening private halves.

Writes (creating and rotating keys) are actions in hisho.signing.actions; this module
only reads, plus the rewrap step of a master key rotation.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import transaction

from hisho.signing.models import SigningKey
from hisho.signing.wrapping import (
    SecretUnavailable,
    WrappedSecrets,
    register,
    unwrap_secret,
    wrap_secret,
)
from hisho.vault.keyring import master_keys


def new_key_id() -> str:
    return "sk-" + secrets.token_hex(8)


def private_key_aad(key_id: str) -> bytes:
    return f"hisho-signing-key/1|{key_id}".encode()


@dataclass(frozen=True)
class NewKey:
    key_id: str
    public_key: bytes
    master_key_id: str
    wrapped_private_key: bytes


def generate() -> NewKey:
    """A fresh Ed25519 key pair, its private half wrapped (never stored in the clear)."""
    key_id = new_key_id()
    private = Ed25519PrivateKey.generate()
    master_key_id, wrapped = wrap_secret(private.private_bytes_raw(), private_key_aad(key_id))
    return NewKey(key_id, private.public_key().public_bytes_raw(), master_key_id, wrapped)


_lock = threading.Lock()
# key id → (wrapped bytes it was opened from, the private key); keyed by the wrapped bytes
# so a rewrapped or replaced row is opened afresh.
_private: dict[str, tuple[bytes, Ed25519PrivateKey]] = {}
# key id → public bytes whose binding to a private half under the master key was checked.
_trusted: dict[str, bytes] = {}


def forget_cached_keys() -> None:
    with _lock:
        _private.clear()
        _trusted.clear()


def open_private(row: SigningKey) -> Ed25519PrivateKey:
    """The private key of `row` (raises SecretUnavailable if it does not open, or if it is
    not the private half of the row's public key)."""
    wrapped = bytes(row.wrapped_private_key)
    with _lock:
        cached = _private.get(row.key_id)
    if cached is not None and cached[0] == wrapped:
        return cached[1]
    raw = unwrap_secret(row.master_key_id, wrapped, private_key_aad(row.key_id))
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if private.public_key().public_bytes_raw() != bytes(row.public_key):
        raise SecretUnavailable("tampered")
    with _lock:
        _private[row.key_id] = (wrapped, private)
    return private


def trusted_public_key(key_id: str) -> Ed25519PublicKey | None:
    """The public key of `key_id`, if it is one of Hisho's: its row must exist and its
    private half must open under the master keyring and match. A key row written into the
    database by someone without the master keys is not trusted (docs/audit.md)."""
    row = SigningKey.objects.filter(key_id=key_id).first()
    if row is None:
        return None
    public = bytes(row.public_key)
    with _lock:
        known = _trusted.get(key_id)
    if known != public:
        try:
            open_private(row)
        except (SecretUnavailable, ValueError):
            return None
        with _lock:
            _trusted[key_id] = public
    return Ed25519PublicKey.from_public_bytes(public)


def active_key() -> SigningKey | None:
    return SigningKey.objects.filter(active=True).first()


# --- master key rotation ------------------------------------------------------------------


def _master_key_ids() -> set[str]:
    return set(SigningKey.objects.values_list("master_key_id", flat=True).distinct())


def _rewrap() -> int:
    active = master_keys().active_key_id()
    count = 0
    for key_id in SigningKey.objects.exclude(master_key_id=active).values_list("key_id", flat=True):
        with transaction.atomic():
            row = SigningKey.objects.select_for_update().get(key_id=key_id)
            raw = unwrap_secret(row.master_key_id, row.wrapped_private_key, private_key_aad(key_id))
            row.master_key_id, row.wrapped_private_key = wrap_secret(raw, private_key_aad(key_id))
            row.save(update_fields=["master_key_id", "wrapped_private_key"])
            count += 1
    return count


register(WrappedSecrets("signing keys", _master_key_ids, _rewrap))
