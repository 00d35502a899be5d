"""The VAPID key pair (RFC 8292) that identifies this Hisho to push services.

Generated on first use into HISHO_VAPID_KEY_FILE — beside the master keyring, 0600, PEM
(PKCS #8) — and never stored in the database: whoever holds it can push to every
subscribed browser. Like the keyring it is written whole (a temporary file, then a link
that fails if another process created it first, whose key is then used).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid02

_lock = threading.Lock()
_loaded: dict[Path, Vapid02] = {}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _create(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def vapid_key() -> Vapid02:
    """This installation's VAPID key, generated on first use."""
    path = Path(settings.HISHO_VAPID_KEY_FILE)
    with _lock:
        found = _loaded.get(path)
        if found is None:
            if not path.exists():
                _create(path)
            found = Vapid02.from_pem(path.read_bytes())
            _loaded[path] = found
        return found


def public_key() -> str:
    """The application server key a browser subscribes with: the uncompressed P-256
    point, base64url without padding (what PushManager.subscribe takes)."""
    point = vapid_key().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)
