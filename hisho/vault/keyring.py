"""The master keys: the top of the key hierarchy (docs/operations.md, "Keys and the vault").

Everything below the master keys lives in the database, wrapped; the master keys never
do. `MasterKeys` is the whole interface the vault uses, so a cloud KMS (whose
Encrypt/Decrypt take the associated data as "encryption context") can replace the
keyring file by implementing it; `master_keys()` is the one place that chooses.

The keyring file is JSON, mode 0600::

    {"format": "hisho-keyring/1", "active": "mk-…",
     "keys": [{"id": "mk-…", "key": "<base64 of 32 bytes>", "created": "<ISO 8601>"}]}

New customer keys are wrapped under the *active* key; the others only unwrap until
`hisho rotate-keys --retire` has rewrapped everything and removes them.

Run as a script to create a keyring without starting Django (production set-up)::

    python -m hisho.vault.keyring create /etc/hisho/master.keyring
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from hisho.vault import crypto

FORMAT = "hisho-keyring/1"
# How often a process looks at the keyring file for a rotation made by another process.
RECHECK_SECONDS = 2.0


class KeyringError(ImproperlyConfigured):
    """The master keyring is missing, unreadable or does not fit the database."""


class MasterKeys(Protocol):
    def active_key_id(self) -> str: ...

    def key_ids(self) -> frozenset[str]: ...

    def wrap(self, plaintext_key: bytes, aad: bytes) -> tuple[str, bytes]:
        """Wrap under the active master key; returns (master key id, blob)."""
        ...

    def unwrap(self, key_id: str, blob: bytes, aad: bytes) -> bytes:
        """Raises crypto.Unauthentic if the blob does not open, KeyError if the id is unknown."""
        ...

    def add_active_key(self) -> str:
        """Rotation, step 1: a new master key becomes active; the old ones still unwrap."""
        ...

    def retire(self, key_ids: set[str]) -> None:
        """Rotation, last step: forget master keys nothing is wrapped under any more."""
        ...


def new_key_id() -> str:
    return "mk-" + secrets.token_hex(6)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _parse(path: Path, raw: bytes) -> tuple[str, dict[str, bytes], list[dict[str, Any]]]:
    def bad(why: str) -> KeyringError:
        return KeyringError(f"The master keyring {path} is not usable: {why}.")

    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad("it is not JSON") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise bad(f"its format is not {FORMAT!r}")
    entries = document.get("keys")
    if not isinstance(entries, list) or not entries:
        raise bad("it holds no keys")
    keys: dict[str, bytes] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise bad("a key has no id")
        key_id = entry["id"]
        try:
            key = base64.b64decode(str(entry.get("key", "")), validate=True)
        except (binascii.Error, ValueError):
            raise bad(f"key {key_id} is not base64") from None
        if len(key) != crypto.KEY_BYTES:
            raise bad(f"key {key_id} is not 32 bytes")
        if key_id in keys:
            raise bad(f"key id {key_id} appears twice")
        keys[key_id] = key
    active = document.get("active")
    if active not in keys:
        raise bad("its active key is not among its keys")
    return str(active), keys, entries


def _write(path: Path, active: str, entries: list[dict[str, Any]], *, exclusive: bool) -> None:
    """Write the keyring whole: a temporary file, then one rename (or link, when the file
    must not exist yet), so no reader ever sees half a keyring."""
    body = json.dumps({"format": FORMAT, "active": active, "keys": entries}, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(temporary, path)  # fails if another process created it first
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def create_keyring_file(path: Path) -> str:
    """A new keyring holding one fresh active key; refuses to overwrite a file."""
    key_id = new_key_id()
    entry = {
        "id": key_id,
        "key": base64.b64encode(crypto.new_key()).decode(),
        "created": _now(),
    }
    _write(path, key_id, [entry], exclusive=True)
    return key_id


class FileKeyring:
    """Master keys kept in a file: generated into ./var/ on an embedded install's first
    run, given by HISHO_MASTER_KEY_FILE in production."""

    def __init__(self, path: Path, *, generate: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        if generate and not path.exists():
            # If another process generated it first, use theirs.
            with contextlib.suppress(FileExistsError):
                create_keyring_file(path)
        self._load()

    def _stamp(self) -> tuple[int, int, int]:
        status = self.path.stat()
        return (status.st_mtime_ns, status.st_size, status.st_ino)

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
            stamp = self._stamp()
        except FileNotFoundError:
            raise KeyringError(
                f"The master keyring {self.path} does not exist. Set HISHO_MASTER_KEY_FILE to "
                "the keyring that belongs to this database (see docs/operations.md)."
            ) from None
        except OSError as exc:
            raise KeyringError(
                f"The master keyring {self.path} cannot be read ({exc.strerror})."
            ) from None
        active, keys, entries = _parse(self.path, raw)
        self._active, self._keys, self._entries = active, keys, entries
        self._ciphers = {key_id: crypto.cipher(key) for key_id, key in keys.items()}
        self._stamp_seen, self._checked_at = stamp, time.monotonic()

    def refresh(self, *, force: bool = False) -> None:
        """Pick up a keyring another process rotated (checked at most every few seconds)."""
        with self._lock:
            if not force and time.monotonic() - self._checked_at < RECHECK_SECONDS:
                return
            self._checked_at = time.monotonic()
            try:
                changed = self._stamp() != self._stamp_seen
            except OSError:
                return  # keep the keys in memory; start-up reports a missing file
            if changed or force:
                self._load()

    def active_key_id(self) -> str:
        self.refresh()
        return self._active

    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def _cipher(self, key_id: str) -> AESGCM:
        found = self._ciphers.get(key_id)
        if found is None:
            self.refresh(force=True)
            found = self._ciphers.get(key_id)
        if found is None:
            raise KeyError(key_id)
        return found

    def wrap(self, plaintext_key: bytes, aad: bytes) -> tuple[str, bytes]:
        key_id = self.active_key_id()
        return key_id, crypto.wrap_key(self._cipher(key_id), plaintext_key, aad)

    def unwrap(self, key_id: str, blob: bytes, aad: bytes) -> bytes:
        return crypto.unwrap_key(self._cipher(key_id), blob, aad)

    def add_active_key(self) -> str:
        with self._lock:
            self._load()
            key_id = new_key_id()
            entry = {
                "id": key_id,
                "key": base64.b64encode(crypto.new_key()).decode(),
                "created": _now(),
            }
            _write(self.path, key_id, [*self._entries, entry], exclusive=False)
            self._load()
        return key_id

    def retire(self, key_ids: set[str]) -> None:
        with self._lock:
            self._load()
            if self._active in key_ids:
                raise ValueError("the active master key cannot be retired")
            kept = [entry for entry in self._entries if entry["id"] not in key_ids]
            _write(self.path, self._active, kept, exclusive=False)
            self._load()


_instance: MasterKeys | None = None
_instance_lock = threading.Lock()


def master_keys() -> MasterKeys:
    """The process's master keys (the one place to plug in a KMS-backed implementation)."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                from django.conf import settings

                _instance = FileKeyring(
                    Path(settings.HISHO_MASTER_KEY_FILE),
                    generate=settings.HISHO_MASTER_KEY_GENERATE,
                )
    return _instance


def reset_master_keys() -> None:
    """Forget the loaded keyring (settings changed, or tests swapping keyrings)."""
    global _instance
    with _instance_lock:
        _instance = None


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "create":
        print("usage: python -m hisho.vault.keyring create PATH", file=sys.stderr)
        return 2
    try:
        key_id = create_keyring_file(Path(argv[1]))
    except FileExistsError:
        print(f"{argv[1]} exists already; not overwriting a keyring.", file=sys.stderr)
        return 1
    print(f"Created {argv[1]} with master key {key_id}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
