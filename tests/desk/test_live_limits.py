"""Websocket input limits (issue 14): a frame over FRAME_MAX characters closes the
socket with 1009, one nesting JSON deeper than DEPTH_MAX with 4400 — each after a
problem frame, with one warning line in the log and no traceback."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.consumers import DEPTH_MAX, FRAME_MAX, nests_deeper_than
from hisho.desk.models import Message
from tests.conftest import sign_in
from tests.desk.test_live import (  # noqa: F401 - fixtures
    _empty_channel_layer,
    _quick_password_hashing,
    chat_path,
    closed_with,
    connected,
    frame,
    run,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("text", "status", "code"),
    [
        ("[" * 60_000, 400, 4400),
        ('{"type": "ping", "ref": ' + "[" * 17 + "]" * 17 + "}", 400, 4400),
        ("{" * 30_000 + "}" * 30_000, 400, 4400),
        ("x" * (FRAME_MAX + 1), 413, 1009),
        (json.dumps({"type": "message.post", "body": "a" * FRAME_MAX}), 413, 1009),
    ],
    ids=["brackets", "17-deep", "braces", "oversize-text", "oversize-json"],
)
def test_frames_over_a_limit_close_the_socket(
    text: str, status: int, code: int, demo: Demo, caplog: Any
) -> None:
    errand = demo.alice_errand
    token = sign_in("alice")
    before = Message.objects.count()

    async def scenario() -> None:
        comm = await connected(socket(chat_path(errand), token=token))
        await comm.send_to(text_data=text)
        got = await frame(comm)
        assert got["type"] == "error" and got["status"] == status, got
        assert got["title"] and got["detail"]
        await closed_with(comm, code)

    with caplog.at_level(logging.INFO):
        run(scenario)
    assert Message.objects.count() == before
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert records[0].exc_info is None and "\n" not in records[0].getMessage()
    assert str(errand.pk) in records[0].getMessage()


def test_oversize_binary_frames_close_the_socket_too(demo: Demo) -> None:
    token = sign_in("alice")

    async def scenario() -> None:
        comm = await connected(socket(chat_path(demo.alice_errand), token=token))
        await comm.send_to(bytes_data=b"\x00" * (FRAME_MAX + 1))
        assert (await frame(comm))["status"] == 413
        await closed_with(comm, 1009)

    run(scenario)


def test_nesting_within_the_limit_is_an_ordinary_answer(demo: Demo) -> None:
    token = sign_in("alice")
    nested = "[" * DEPTH_MAX + "]" * DEPTH_MAX
    # Brackets inside strings do not count.
    quoted = json.dumps({"type": "ping", "ref": "[" * 70})

    async def scenario() -> None:
        comm = await connected(socket(chat_path(demo.alice_errand), token=token))
        await comm.send_to(text_data=nested)
        assert (await frame(comm))["status"] == 400  # a frame is a JSON object
        await comm.send_to(text_data=quoted)
        assert (await frame(comm))["status"] == 422  # ref too long: still open
        await comm.send_json_to({"type": "ping", "ref": "p"})
        assert await frame(comm) == {"type": "pong", "ref": "p"}
        await comm.disconnect()

    run(scenario)


def test_depth_check_is_linear() -> None:
    assert not nests_deeper_than('["\\"[[[[[[[[[[[[[[[[[[[[[[["]', 3)
    assert nests_deeper_than('[[["x"]]]', 2)
    assert not nests_deeper_than('{"a": "' + "{" * 1000 + '"}', 2)
    started = time.perf_counter()
    for text in ("[" * FRAME_MAX, '"' + "\\" * (FRAME_MAX - 1), '"[' * (FRAME_MAX // 2)):
        nests_deeper_than(text, DEPTH_MAX)
    assert time.perf_counter() - started < 1.0
