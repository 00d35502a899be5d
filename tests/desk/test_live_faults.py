"""What a hostile client sent the chat socket that broke it (found by attacking it), and
what a fault of ours must still clean up: every frame the server sends must be valid
UTF-8 (a real server encodes it; a lone surrogate echoed back killed the consumer), a
handshake with an Origin that is no URL is refused (it was a 500), and a consumer that
fails closes with 1011 and leaves its presence (else the person got no e-mail about the
errand until the process restarted) — also when what fails is Channels' own loop under
it (the channel layer's Redis), and a client that goes away before its answer is sent
is no fault of ours (found by a probe: it logged an ERROR, any client could fill the
log)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from channels.layers import get_channel_layer
from uvicorn.protocols.utils import ClientDisconnected

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


class RedisTimeout(Exception):
    """What redis-py raised under the socket: `Timeout reading from 127.0.0.1:6379`."""


def test_a_channel_layer_failing_under_the_socket_leaves_the_presence(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layer's receive runs in Channels' own loop, outside the consumer's handlers:
    its exception ends the consumer without `disconnect`. The person must not go on
    counting as having the chat open (in the scaled shape the heartbeat kept them there
    for good, and no e-mail about the errand reached them)."""
    errand, alice = demo.alice_errand, demo.people["alice"]
    token = sign_in("alice")
    layer = get_channel_layer()
    trip: dict[str, asyncio.Event] = {}

    async def receive(channel: str) -> dict[str, Any]:
        await trip["event"].wait()
        raise RedisTimeout("Timeout reading from 127.0.0.1:6379")

    monkeypatch.setattr(layer, "receive", receive)

    async def scenario() -> None:
        trip["event"] = asyncio.Event()
        comm = await connected(socket(chat_path(errand), token=token))
        assert presence.is_open(alice.pk, errand.pk)
        trip["event"].set()
        with pytest.raises(RedisTimeout):
            await comm.wait(WAIT)
        assert not presence.is_open(alice.pk, errand.pk)

    try:
        run(scenario)
    finally:
        presence.reset()


@pytest.mark.parametrize("frame", [{"type": "ping"}, {"type": "message.post", "body": "hi"}])
def test_a_client_gone_before_its_answer_is_no_fault_of_ours(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, caplog: Any, frame: dict[str, Any]
) -> None:
    """The client sent a frame and dropped the connection: sending the answer raises
    (ASGI: an OSError; uvicorn's ClientDisconnected). No ERROR in the log, no 1011 close
    attempted, and the presence is left."""
    errand, alice = demo.alice_errand, demo.people["alice"]
    token = sign_in("alice")

    async def gone(self: Any, text_data: str | None = None, **kwargs: Any) -> None:
        raise ClientDisconnected

    monkeypatch.setattr(ErrandChatConsumer, "send", gone)

    async def scenario() -> None:
        comm = await connected(socket(chat_path(errand), token=token))
        assert presence.is_open(alice.pk, errand.pk)
        await comm.send_json_to(frame)
        for _ in range(WAIT * 20):  # a post runs its action first
            if not presence.is_open(alice.pk, errand.pk):
                break
            await asyncio.sleep(0.05)
        assert not presence.is_open(alice.pk, errand.pk)
        assert await comm.receive_nothing(timeout=0.2)  # no close frame: the peer is gone
        await comm.send_input({"type": "websocket.disconnect", "code": 1006})
        await comm.wait(WAIT)

    try:
        with caplog.at_level(logging.INFO):
            run(scenario)
    finally:
        presence.reset()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "went away" in caplog.text
