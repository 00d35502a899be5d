"""Vault fixtures: a throw-away copy of the master keyring, an empty key cache, and the
plaintext of the demo errand the tests look for."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from hisho.vault.keyring import master_keys
from hisho.vault.keys import store

# What alice gave with her first demo errand (hisho/demo.py), and its chat.
ALICE_TITLE = "Book a table for 4 in Shibuya on Friday"
ALICE_SECRETS = [
    "vegetarian options",
    "090-1234-5678",
    "1-2-3 Jingumae",
    "wheelchair",
    "Friday at 19:00 if possible",
    "call two places this afternoon",
]


@pytest.fixture(autouse=True)
def empty_key_cache() -> Iterator[None]:
    """Every test starts (and ends) with no unwrapped key in memory, so it proves what
    the database and the keyring hold, not what an earlier test left cached."""
    store().cache.clear()
    yield
    store().cache.clear()


@pytest.fixture
def keyring(settings: Any, tmp_path: Path) -> Path:
    """Work on a copy of the keyring (tests that rotate or break it never touch ./var/)."""
    path = tmp_path / "master.keyring"
    shutil.copy(Path(django_settings.HISHO_MASTER_KEY_FILE), path)
    settings.HISHO_MASTER_KEY_FILE = path
    settings.HISHO_MASTER_KEY_GENERATE = False
    assert master_keys().key_ids()  # loaded from the copy
    return path
