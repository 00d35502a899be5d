"""Notification fixtures: the loopback SMTP server and task worker of the outreach
tests, the websocket fixtures of the live-chat tests, and presence kept in Redis."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.desk.test_live import (  # noqa: F401 - fixtures
    _empty_channel_layer,
    _quick_password_hashing,
    session_cookie,
)
from tests.outreach.conftest import run_worker, smtp  # noqa: F401 - fixtures

# Redis for the presence tests: the local server, a database no other test folder uses
# (tests/scaled uses 3) and a prefix of this test's own, removed afterwards.
PRESENCE_REDIS = "redis://127.0.0.1:6379/9"


@pytest.fixture
def redis_presence(settings: Any) -> Iterator[str]:
    """Presence kept in Redis, as in the scaled shape, with a short lifetime (2 s)."""
    from hisho.notify import presence

    settings.REDIS_URL = PRESENCE_REDIS
    settings.HISHO_PRESENCE_PREFIX = f"hisho.test.presence.{uuid.uuid4().hex}"
    settings.HISHO_PRESENCE_SECONDS = 2
    presence.reset()
    try:
        yield settings.HISHO_PRESENCE_PREFIX
    finally:
        presence.reset()
