"""What a hostile client sent the chat socket that broke it (found by attacking it), and
what a fault of ours must still clean up: every frame the server sends must be valid
UTF-8 (a real server encodes it; a lone surrogate echoed back killed the consumer), a
handshake with an Origin that is no URL is refused (it was a 500), and a consumer that
fails closes with 1011 and leaves its presence (else the person got no e-mail about the
errand until the process restarted)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.consumers import ErrandChatConsumer
from hisho.desk.models import Message
from hisho.notify import presence
from tests.conftest import sign_in
from tests.desk.test_live import (  # noqa: F401 - fixtures
    WAIT,
    _empty_channel_layer,
    _quick_password_hashing,
    chat_path,
    closed_with,
    connected,
    refused,
    run,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def sent_frame(comm: Any) -> dict[str, Any]:
    """The next frame, as a real server would have to send it: UTF-8."""
    output = await comm.receive_output(timeout=WAIT)
    assert output["type"] == "websocket.send", output
    output["text"].encode("utf-8")  # uvicorn does this; a lone surrogate raises here
    data: dict[str, Any] = json.loads(output["text"])
    return data


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "ping", "ref": "\\ud800"}',
        '{"type": "message.post", "body": "hi", "\\udfff": 1}',
        '{"type": "nope\\ud800", "ref": "r"}',
    ],
    ids=["ref", "unknown-field", "type"],
)
def test_a_lone_surrogate_is_refused_or_escaped_never_a_crash(demo: Demo, text: str) -> None:
    token = sign_in("alice")
    before = Message.objects.count()

    async def scenario() -> None:
        comm = await connected(socket(chat_path(demo.alice_errand), token=token))
        await comm.send_to(text_data=text)
        got = await sent_frame(comm)
        assert got["type"] == "error" and got["status"] == 422, got
        await comm.send_json_to({"type": "ping", "ref": "still-open"})
        assert await sent_frame(comm) == {"type": "pong", "ref": "still-open"}
        await comm.disconnect()

    run(scenario)
    assert Message.objects.count() == before


@pytest.mark.parametrize("origin", ["http://[", "http://[::1", "https://[/x"])
def test_an_origin_that_is_no_url_is_refused_at_the_handshake(demo: Demo, origin: str) -> None:
    token = sign_in("alice")

    async def scenario() -> None:
        await refused(socket(chat_path(demo.alice_errand), token=token, origin=origin))

    run(scenario)


def test_a_fault_of_ours_closes_1011_and_leaves_the_presence(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    errand, alice = demo.alice_errand, demo.people["alice"]
    token = sign_in("alice")

    async def broken(self: Any, frame: dict[str, Any], ref: str | None) -> None:
        raise UnicodeEncodeError("utf-8", "secret \ud800 text", 7, 8, "surrogates not allowed")

    monkeypatch.setattr(ErrandChatConsumer, "_receive_post", broken)

    async def scenario() -> None:
        comm = await connected(socket(chat_path(errand), token=token))
        assert presence.is_open(alice.pk, errand.pk)
        await comm.send_json_to({"type": "message.post", "body": "hello"})
        await closed_with(comm, 1011)
        assert not presence.is_open(alice.pk, errand.pk)
        await comm.send_input({"type": "websocket.disconnect", "code": 1011})
        await comm.wait(WAIT)  # the consumer ends; no task of it is left running

    try:
        with caplog.at_level(logging.INFO):
            run(scenario)
    finally:
        presence.reset()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "UnicodeEncodeError" in errors[0].getMessage()
    assert "secret" not in caplog.text
