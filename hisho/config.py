"""Reading configuration from the environment, loudly.

Every setting Hisho takes from outside comes through these helpers, so a typo in a
deployment ("HISHO_DEBUG=ture") stops the service at start-up instead of silently
falling back to a default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}; got {value!r}")
    return value


def secret_from_file(path: Path) -> str:
    """Read a secret kept in a file, creating it (mode 0600) on first use.

    Only the embedded shape uses this: production passes secrets in the environment.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def make_sqlite_files_private(sender: object, connection: Any, **kwargs: object) -> None:
    """On each new SQLite connection (`connection_created`), make the database file, and
    its -wal and -shm files if there, readable and writable by this user alone. The
    database holds e-mail addresses, IP addresses and browsers in the clear, like the
    keyring beside it is private; SQLite creates its files as the umask allows, usually
    readable by every local user. Nothing for an in-memory database."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if name in ("", ":memory:") or name.startswith("file:"):
        return
    path = Path(name)
    for companion in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        try:
            if companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        except OSError:
            continue  # not there (yet), or not ours: SQLite itself says what is wrong
