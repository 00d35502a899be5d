"""Notification fixtures: the loopback SMTP server and task worker of the outreach
tests, and the websocket fixtures of the live-chat tests."""

from tests.desk.test_live import (  # noqa: F401 - fixtures
    _empty_channel_layer,
    _quick_password_hashing,
    session_cookie,
)
from tests.outreach.conftest import run_worker, smtp  # noqa: F401 - fixtures
