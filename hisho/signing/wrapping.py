"""Wrapping Hisho's own 32-byte secrets under the vault's master keyring.

The vault wraps customer keys with `hisho.vault.keyring.master_keys()`; this module uses
the same public interface (`wrap` under the active master key, `unwrap` by master key id)
for the secrets that are not customer keys: the signing keys' private halves and the
audit log's pseudonym keys. Each secret is bound to what it is by its associated data,
so a wrapped blob moved to another row does not open.

Master key rotation: whatever is wrapped here must be rewrapped before an old master key
is retired. Every table of wrapped secrets registers itself (`register`), and
`rewrap_all()` rewraps them all under the active master key; `hisho rotate-keys
--retire` must call it first (docs/audit.md, "Keys").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hisho.vault import crypto
from hisho.vault.keyring import master_keys

SECRET_BYTES = 32


class SecretUnavailable(Exception):
    """A wrapped secret does not open: its master key is gone, or the blob was changed or
    moved. The message is a fixed reason, never key material."""


def wrap_secret(secret: bytes, aad: bytes) -> tuple[str, bytes]:
    """(master key id, blob): `secret` wrapped under the active master key."""
    if len(secret) != SECRET_BYTES:
        raise ValueError("only 32-byte secrets are wrapped")
    return master_keys().wrap(secret, aad)


def unwrap_secret(master_key_id: str, blob: bytes | memoryview, aad: bytes) -> bytes:
    try:
        return master_keys().unwrap(master_key_id, bytes(blob), aad)
    except KeyError:
        raise SecretUnavailable("master_key_missing") from None
    except crypto.Unauthentic:
        raise SecretUnavailable("tampered") from None


@dataclass(frozen=True)
class WrappedSecrets:
    """A table of secrets wrapped here: which master keys it uses, and how to rewrap it
    under the active one (returns how many it rewrapped)."""

    name: str
    master_key_ids: Callable[[], set[str]]
    rewrap: Callable[[], int]


_registry: dict[str, WrappedSecrets] = {}


def register(table: WrappedSecrets) -> None:
    _registry[table.name] = table


def registered() -> list[WrappedSecrets]:
    return list(_registry.values())


def rewrap_all() -> dict[str, int]:
    """Rewrap every registered secret still under an old master key (before retiring it)."""
    return {table.name: table.rewrap() for table in _registry.values()}
