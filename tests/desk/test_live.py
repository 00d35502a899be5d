"""Live chat over websockets (hisho/desk/consumers.py, hisho/desk/live.py), in process.

The tests commit for real (transactional): events are sent on commit, as in production.
Each drives the ASGI application (hisho.asgi) with Channels' communicator and the
in-memory channel layer; the Redis layer across two processes is tests/scaled/.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client

from hisho.asgi import application
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk import live
from hisho.desk.actions import (
    do_assign_errand,
    do_change_status,
    do_create_errand,
    do_post_message,
)
from hisho.desk.consumers import ErrandChatConsumer
from hisho.desk.models import Errand, Message
from hisho.vault.models import AccessAction, AccessLogEntry
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://testserver"
CARD = "4111 1111 1111 1111"
MASKED = "[card ••••1111]"  # what DLP leaves of it
WAIT = 3  # seconds: generous for a loaded CI machine; nothing waits this long when green


@pytest.fixture(autouse=True)
def _empty_channel_layer() -> Iterator[None]:
    # One in-memory layer per process: start each test with no channels or groups.
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield
    async_to_sync(layer.flush)()


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings: Any) -> None:
    # Every test here commits, so the demo people are made again for each one; with
    # Argon2 alone that is most of the module's run time. Argon2 still verifies.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


def db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
    """Run sync Django code (actions, test clients) from a scenario."""
    return database_sync_to_async(fn)(*args, **kwargs)


@pytest.fixture
def session_cookie(web_as: Any) -> Callable[[str], str]:
    """The browser session cookie of a person signed in on the web (staff: with their
    second factor, as tests/conftest.py's web_as does)."""

    def make(handle: str) -> str:
        value: str = web_as(handle).cookies[settings.SESSION_COOKIE_NAME].value
        return value

    return make


def chat_path(errand: Any) -> str:
    return f"/ws/v1/errands/{errand.pk}/"


class WebsocketCommunicator(ApplicationCommunicator):  # type: ignore[misc]
    """A websocket client for an ASGI application, in process (Channels' own needs the
    daphne server installed, which Hisho does not use)."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]], subprotocols: list[str]):
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": headers,
            "subprotocols": subprotocols,
            "scheme": "ws",
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def send_to(
        self, *, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        if text_data is not None:
            await self.send_input({"type": "websocket.receive", "text": text_data})
        else:
            await self.send_input({"type": "websocket.receive", "bytes": bytes_data})

    async def send_json_to(self, data: Any) -> None:
        await self.send_to(text_data=json.dumps(data))

    async def receive_json_from(self, timeout: float) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, timeout: float = WAIT) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(timeout)


def socket(
    path: str,
    *,
    cookie: str | None = None,
    token: str | None = None,
    origin: str | None = ORIGIN,
    subprotocols: list[str] | None = None,
) -> WebsocketCommunicator:
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    if subprotocols is None and token is not None:
        subprotocols = ["hisho.v1", f"hisho.token.{token}"]
    return WebsocketCommunicator(path, headers, subprotocols or [])


async def connected(comm: WebsocketCommunicator) -> WebsocketCommunicator:
    ok, _ = await comm.connect(timeout=WAIT)
    assert ok, "the handshake was refused"
    return comm


async def refused(comm: WebsocketCommunicator) -> None:
    ok, _ = await comm.connect(timeout=WAIT)
    assert not ok, "the handshake was accepted"


async def frame(comm: WebsocketCommunicator) -> dict[str, Any]:
    data: dict[str, Any] = await comm.receive_json_from(timeout=WAIT)
    return data


async def closed_with(comm: WebsocketCommunicator, code: int) -> None:
    output = await comm.receive_output(timeout=WAIT)
    assert output == {"type": "websocket.close", "code": code}


def test_message_posted_through_the_api_reaches_both_parties_live(
    demo: Demo, session_cookie: Any
) -> None:
    errand = demo.alice_errand
    alice_cookie = session_cookie("alice")
    kenji_token = sign_in("kenji")

    async def scenario() -> None:
        alice = await connected(socket(chat_path(errand), cookie=alice_cookie))
        kenji = await connected(socket(chat_path(errand), token=kenji_token))
        headers = {"X-Session-Token": kenji_token}
        response = await db(
            Client().post,
            f"/api/v1/errands/{errand.pk}/messages",
            json.dumps({"body": f"Card {CARD}? Never send it here."}),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 201
        posted = response.json()
        for comm in (alice, kenji):
            got = await frame(comm)
            assert got["type"] == "message" and got["errand"] == str(errand.pk)
            assert got["message"]["id"] == posted["id"]
            # The body as stored: DLP-masked, read back through the vault.
            assert got["message"]["body"] == posted["body"] == f"Card {MASKED}? Never send it here."
            assert got["message"]["author"] == {
                "id": demo.people["kenji"].pk,
                "name": "Kenji",
                "role": "assistant",
            }
        assert (await frame_or_none(alice)) is None
        await alice.disconnect()
        await kenji.disconnect()

    run(scenario)


async def frame_or_none(comm: WebsocketCommunicator) -> dict[str, Any] | None:
    if await comm.receive_nothing(timeout=0.2):
        return None
    return await frame(comm)


def test_post_over_the_websocket_runs_the_action(demo: Demo, session_cookie: Any) -> None:
    """DLP, sealing and audit apply; the sender gets its 201 as a "posted" frame, the
    other party the message, and the sender's own socket no echo."""
    errand = demo.alice_errand
    alice_cookie = session_cookie("alice")
    kenji_token = sign_in("kenji")

    async def scenario() -> None:
        alice = await connected(socket(chat_path(errand), cookie=alice_cookie))
        kenji = await connected(socket(chat_path(errand), token=kenji_token))
        await alice.send_json_to(
            {"type": "message.post", "ref": "a1", "body": f"  My card is {CARD}  "}
        )
        ack = await frame(alice)
        assert ack["type"] == "posted" and ack["ref"] == "a1"
        assert ack["message"]["body"] == f"My card is {MASKED}" and ack["message"]["mine"] is True
        assert "last four digits" in ack["message"]["notice"]
        got = await frame(kenji)
        assert got["type"] == "message"
        assert got["message"]["id"] == ack["message"]["id"]
        assert got["message"]["body"] == f"My card is {MASKED}" and got["message"]["mine"] is False
        assert "notice" not in got["message"]
        assert await frame_or_none(alice) is None  # no echo of its own post
        await alice.disconnect()
        await kenji.disconnect()

    run(scenario)
    message = Message.objects.order_by("-id").first()
    assert message is not None and message.author_id == demo.people["alice"].pk
    assert b"1111 1111" not in bytes(message.sealed_body)
    assert b"My card" not in bytes(message.sealed_body)  # sealed, not plaintext
    audit = AuditEvent.objects.filter(event="message.posted", target_id=str(message.pk)).get()
    assert audit.extra["cards_masked"] == 1


def test_reassignment_closes_the_previous_assignees_socket_at_once(
    demo: Demo, session_cookie: Any
) -> None:
    errand = demo.alice_errand
    kenji_token, yuki_token = sign_in("kenji"), sign_in("yuki")
    alice_cookie = session_cookie("alice")

    async def scenario() -> None:
        kenji = await connected(socket(chat_path(errand), token=kenji_token))
        alice = await connected(socket(chat_path(errand), cookie=alice_cookie))
        await refused(socket(chat_path(errand), token=yuki_token))
        await db(
            do_assign_errand,
            actor=demo.people["admin"],
            errand=errand,
            assistant_id=demo.people["yuki"].pk,
        )
        # Kenji's open socket gets nothing about the errand any more: it is closed.
        await closed_with(kenji, 4404)
        moved = await frame(alice)
        assert moved["type"] == "assignment"
        assert moved["assignee"] == {"id": demo.people["yuki"].pk, "name": "Yuki"}
        yuki = await connected(socket(chat_path(errand), token=yuki_token))
        current = await db(Errand.objects.get, pk=errand.pk)  # as the API would read it
        await db(do_post_message, actor=demo.people["alice"], errand=current, body="Hello Yuki")
        assert (await frame(yuki))["message"]["body"] == "Hello Yuki"
        assert (await frame(alice))["message"]["body"] == "Hello Yuki"
        await refused(socket(chat_path(errand), token=kenji_token))
        await alice.disconnect()
        await yuki.disconnect()

    run(scenario)


def test_a_socket_that_missed_the_reassignment_event_still_gets_nothing(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Access is re-checked on every event, not only on the reassignment event."""
    errand = demo.alice_errand
    kenji_token = sign_in("kenji")
    kenji_id = demo.people["kenji"].pk

    async def scenario() -> None:
        kenji = await connected(socket(chat_path(errand), token=kenji_token))
        # The reassignment event is lost (say, Redis restarted at that moment).
        monkeypatch.setattr("hisho.desk.live.assignment_changed", lambda **kwargs: None)
        await db(
            do_assign_errand,
            actor=demo.people["admin"],
            errand=errand,
            assistant_id=demo.people["yuki"].pk,
        )
        message = await db(
            do_post_message, actor=demo.people["alice"], errand=errand, body="For Yuki only"
        )
        # An event about the errand reaching kenji's socket anyway is checked and refused.
        await get_channel_layer().group_send(
            live.chat_group(kenji_id, errand.pk),
            {
                "type": "live.event",
                "kind": "message",
                "errand": str(errand.pk),
                "message": message.pk,
            },
        )
        await closed_with(kenji, 4404)

    run(scenario)


def test_status_changes_reach_customer_and_assignee(demo: Demo, session_cookie: Any) -> None:
    errand = demo.alice_errand
    kenji_token = sign_in("kenji")
    alice_cookie = session_cookie("alice")

    async def scenario() -> None:
        alice = await connected(socket(chat_path(errand), cookie=alice_cookie))
        kenji = await connected(socket(chat_path(errand), token=kenji_token))
        await db(do_change_status, actor=demo.people["kenji"], errand=errand, status="in_progress")
        for comm in (alice, kenji):
            assert await frame(comm) == {
                "type": "status",
                "errand": str(errand.pk),
                "status": "in_progress",
                "status_label": "In progress",
                "assignee": {"id": demo.people["kenji"].pk, "name": "Kenji"},
                "accepted": True,
            }
        await alice.disconnect()
        await kenji.disconnect()

    run(scenario)


def test_frames_speak_the_language_of_the_page(demo: Demo, session_cookie: Any) -> None:
    """A Japanese-speaking customer's page is redrawn in Japanese: the status label and
    the file list's "about" line come in her chosen language, and an assistant with no
    chosen language gets his browser's (Accept-Language), as the pages themselves do.
    Nothing activated a language in the consumer, so every frame was in English."""
    from tests.attachments import samples

    errand = demo.alice_errand
    alice = demo.people["alice"]
    alice.language = "ja"
    alice.save(update_fields=["language"])
    alice_cookie = session_cookie("alice")
    kenji_token = sign_in("kenji")
    alice_token = sign_in("alice")

    async def scenario() -> None:
        her = await connected(socket(chat_path(errand), cookie=alice_cookie))
        kenji_socket = socket(chat_path(errand), token=kenji_token)
        kenji_socket.scope["headers"].append((b"accept-language", b"ja,en;q=0.5"))
        his = await connected(kenji_socket)
        await db(do_change_status, actor=demo.people["kenji"], errand=errand, status="in_progress")
        for comm in (her, his):
            assert (await frame(comm))["status_label"] == "対応中"
        response = await db(
            Client().post,
            f"/api/v1/errands/{errand.pk}/attachments",
            {"file": samples.upload("menu-photo.png", samples.png())},
            headers={"X-Session-Token": alice_token},
        )
        assert response.status_code == 201, response.content
        for comm in (her, his):
            got = await frame(comm)
            assert got["type"] == "files"
            assert got["files"][0]["about"].startswith("画像 · ")
        await her.disconnect()
        await his.disconnect()

    run(scenario)


def test_events_go_only_to_the_named_people(demo: Demo, session_cookie: Any) -> None:
    """Bob, Yuki and the admins are connected to their own errands and hear nothing of
    Alice's; what crosses the channel layer is ids only, never the message text."""
    alice_errand, bob_errand = demo.alice_errand, demo.bob_errand
    bob_cookie, yuki_token = session_cookie("bob"), sign_in("yuki")
    sent: list[dict[str, Any]] = []
    layer = get_channel_layer()
    real_group_send = layer.group_send

    async def spy(group: str, message: dict[str, Any]) -> None:
        sent.append({"group": group, **message})
        await real_group_send(group, message)

    layer.group_send = spy

    async def scenario() -> None:
        bob = await connected(socket(chat_path(bob_errand), cookie=bob_cookie))
        yuki = await connected(socket(chat_path(bob_errand), token=yuki_token))
        await db(
            do_post_message,
            actor=demo.people["alice"],
            errand=alice_errand,
            body="The door code is 4321",
        )
        assert await frame_or_none(bob) is None
        assert await frame_or_none(yuki) is None
        await bob.disconnect()
        await yuki.disconnect()

    try:
        run(scenario)
    finally:
        del layer.group_send
    assert {event["group"] for event in sent} == {
        live.chat_group(demo.people["alice"].pk, demo.alice_errand.pk),
        live.chat_group(demo.people["kenji"].pk, demo.alice_errand.pk),
    }
    for event in sent:
        assert set(event) == {"group", "type", "kind", "errand", "message"}
        assert "4321" not in json.dumps(event)


def test_a_chat_hears_only_of_its_own_errand(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """An assistant's open chat is told nothing about their other errands — not even an
    event it would ignore: under load (one assistant, dozens of busy errands) those would
    fill the socket's buffer in the channel layer, which then drops what arrives next
    (measured in bench/live_bench.py before the groups were per errand)."""
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    other = do_assign_errand(
        actor=demo.people["admin"],
        errand=do_create_errand(actor=alice, title="Another errand for Kenji"),
        assistant_id=kenji.pk,
    )
    heard: list[str] = []
    real_live_event = ErrandChatConsumer.live_event

    async def counting(self: ErrandChatConsumer, event: dict[str, Any]) -> None:
        heard.append(event["errand"])
        await real_live_event(self, event)

    monkeypatch.setattr(ErrandChatConsumer, "live_event", counting)
    token = sign_in("kenji")

    async def scenario() -> None:
        chat = await connected(socket(chat_path(demo.alice_errand), token=token))
        for n in range(3):
            await db(do_post_message, actor=alice, errand=other, body=f"Busy elsewhere {n}")
        assert await frame_or_none(chat) is None
        await db(do_post_message, actor=alice, errand=demo.alice_errand, body="Here")
        assert (await frame(chat))["type"] == "message"
        await chat.disconnect()

    run(scenario)
    assert heard == [str(demo.alice_errand.pk)]


@pytest.mark.parametrize("handle", ["bob", "yuki", "admin", "partner"])
def test_others_cannot_open_alices_chat(demo: Demo, handle: str, session_cookie: Any) -> None:
    errand = demo.alice_errand
    cookie, token = session_cookie(handle), sign_in(handle)

    async def scenario() -> None:
        await refused(socket(chat_path(errand), cookie=cookie))
        await refused(socket(chat_path(errand), token=token))

    run(scenario)


def test_handshake_refusals(demo: Demo, session_cookie: Any) -> None:
    errand = demo.alice_errand
    cookie, token = session_cookie("alice"), sign_in("alice")
    path = chat_path(errand)

    async def scenario() -> None:
        await refused(socket(path))  # not signed in
        await refused(socket(path, cookie=cookie, origin="http://evil.example"))
        await refused(socket(path, cookie=cookie, origin="https://testserver.evil.example"))
        await refused(socket(path, cookie=cookie, origin=None))  # cookie needs an Origin
        await refused(socket(path, cookie="not-a-session"))
        await refused(socket(path, token="not-a-token"))
        await refused(socket(path, token=token, origin="http://evil.example"))
        await refused(socket(path, subprotocols=[f"hisho.token.{token}"]))  # no hisho.v1
        await refused(socket("/ws/v1/errands/not-a-uuid/", token=token))
        await refused(socket("/ws/v1/errands/00000000-0000-0000-0000-000000000000/", token=token))
        await refused(socket("/ws/v1/nothing-here/", token=token))
        # The app: a token and no Origin (native clients send none) is accepted, and the
        # chosen subprotocol never echoes the token.
        comm = socket(path, token=token, origin=None)
        ok, subprotocol = await comm.connect(timeout=WAIT)
        assert ok and subprotocol == "hisho.v1"
        await comm.disconnect()
        comm = socket(path, cookie=cookie)
        ok, subprotocol = await comm.connect(timeout=WAIT)
        assert ok and subprotocol is None
        await comm.disconnect()

    run(scenario)


def test_bad_frames_get_a_problem_and_write_nothing(demo: Demo) -> None:
    errand = demo.alice_errand
    token = sign_in("alice")
    before = Message.objects.count()

    async def scenario() -> None:
        comm = await connected(socket(chat_path(errand), token=token))
        cases: list[tuple[Any, int, str | None]] = [
            ("{not json", 400, None),
            ("[1, 2]", 400, None),
            ('"text"', 400, None),
            (json.dumps({"type": "shout", "ref": "r1"}), 422, "type"),
            (json.dumps({"type": "message.post", "ref": "r2"}), 422, "body"),
            (json.dumps({"type": "message.post", "ref": "r3", "body": 5}), 422, "body"),
            (json.dumps({"type": "message.post", "body": "x", "extra": 1}), 422, "extra"),
            (json.dumps({"type": "message.post", "ref": 7, "body": "x"}), 422, "ref"),
            (json.dumps({"type": "message.post", "ref": "r" * 65, "body": "x"}), 422, "ref"),
            (json.dumps({"type": "message.post", "ref": "r4", "body": "   "}), 422, "body"),
            (json.dumps({"type": "message.post", "body": "a\x00b"}), 422, "body"),
            (json.dumps({"type": "message.post", "body": "x" * 10_001}), 422, "body"),
        ]
        for text, status, field in cases:
            await comm.send_to(text_data=text)
            got = await frame(comm)
            assert got["type"] == "error" and got["status"] == status, (text[:40], got)
            assert got["title"] and got["detail"]
            if field is not None:
                assert [e["field"] for e in got["errors"]] == [field], got
        await comm.send_to(bytes_data=b"\x00\x01")
        assert (await frame(comm))["status"] == 400
        # Still open and working after all that.
        await comm.send_json_to({"type": "ping", "ref": "p"})
        assert await frame(comm) == {"type": "pong", "ref": "p"}
        await comm.disconnect()

    run(scenario)
    assert Message.objects.count() == before


def test_a_closed_errand_refuses_posts_with_409(demo: Demo) -> None:
    errand = demo.alice_errand
    token = sign_in("alice")

    async def scenario() -> None:
        comm = await connected(socket(chat_path(errand), token=token))
        await db(do_change_status, actor=demo.people["alice"], errand=errand, status="cancelled")
        assert (await frame(comm))["status"] == "cancelled"
        await comm.send_json_to({"type": "message.post", "ref": "c", "body": "hello?"})
        got = await frame(comm)
        assert got["type"] == "error" and got["status"] == 409 and got["ref"] == "c"
        await comm.disconnect()

    run(scenario)


def test_signing_out_ends_the_socket_at_the_next_event(demo: Demo) -> None:
    errand = demo.alice_errand
    token = sign_in("kenji")

    async def scenario() -> None:
        kenji = await connected(socket(chat_path(errand), token=token))
        response = await db(
            Client().delete, "/_allauth/app/v1/auth/session", headers={"X-Session-Token": token}
        )
        assert response.status_code in (200, 401)
        await db(do_post_message, actor=demo.people["alice"], errand=errand, body="Still there?")
        await closed_with(kenji, 4401)

    run(scenario)


def test_a_client_catches_up_after_a_reconnect_by_after(demo: Demo, api_as: Any) -> None:
    """What was posted while a client was away comes from GET …/messages?after=<last id
    it saw>; nothing is lost and nothing repeated."""
    errand = demo.alice_errand
    token = sign_in("kenji")
    seen: list[int] = []

    async def scenario() -> None:
        kenji = await connected(socket(chat_path(errand), token=token))
        await db(do_post_message, actor=demo.people["alice"], errand=errand, body="one")
        seen.append((await frame(kenji))["message"]["id"])
        await kenji.disconnect()
        for body in ("two", "three"):
            await db(do_post_message, actor=demo.people["alice"], errand=errand, body=body)

    run(scenario)
    page = api_as("kenji").get(f"/errands/{errand.pk}/messages", after=seen[-1]).json()
    assert [m["body"] for m in page["items"]] == ["two", "three"]


def test_live_delivery_to_staff_is_in_the_customers_access_log(demo: Demo) -> None:
    """The assignee's socket reads each message through the vault, like a poll would:
    the customer sees that read on "Who saw my data"."""
    errand = demo.alice_errand
    token = sign_in("kenji")
    kenji_reads = AccessLogEntry.objects.filter(
        customer=demo.people["alice"], actor=demo.people["kenji"], errand_id=errand.pk
    )
    before = kenji_reads.count()

    async def scenario() -> None:
        kenji = await connected(socket(chat_path(errand), token=token))
        await db(do_post_message, actor=demo.people["alice"], errand=errand, body="Hi")
        await frame(kenji)
        await kenji.disconnect()

    run(scenario)
    assert kenji_reads.count() == before + 1
    assert kenji_reads.order_by("-id").first().action == AccessAction.READ_MESSAGES


def test_staff_need_a_session_that_passed_the_second_factor(
    demo: Demo, session_cookie: Any
) -> None:
    """The socket applies the same rule as the API and the pages (hisho/accounts/mfa.py):
    an assistant's browser session without its second factor opens no errand chat."""
    errand = demo.alice_errand
    client = Client()
    client.force_login(demo.people["kenji"])  # a password-only session: no second factor
    no_second_factor = client.cookies[settings.SESSION_COOKIE_NAME].value
    with_second_factor = session_cookie("kenji")

    async def scenario() -> None:
        await refused(socket(chat_path(errand), cookie=no_second_factor))
        comm = await connected(socket(chat_path(errand), cookie=with_second_factor))
        await comm.disconnect()

    run(scenario)


def test_a_message_shown_over_the_socket_is_read(demo: Demo, session_cookie: Any) -> None:
    """The lists' unread counts: a message delivered to an open page counts as read."""
    from hisho.inbox.unread import with_unread

    errand = demo.alice_errand
    alice_cookie = session_cookie("alice")
    alice, kenji = demo.people["alice"], demo.people["kenji"]

    def unread() -> int:
        return int(with_unread(Errand.objects.filter(pk=errand.pk), alice).get().unread)

    async def scenario() -> None:
        comm = await connected(socket(chat_path(errand), cookie=alice_cookie))
        before = await db(unread)
        await db(do_post_message, actor=kenji, errand=errand, body="Shown live")
        got = await frame(comm)
        assert got["type"] == "message"
        assert before >= 0 and await db(unread) == 0
        await comm.disconnect()

    run(scenario)


def test_a_file_attached_appears_in_both_open_chats(demo: Demo, session_cookie: Any) -> None:
    """The customer attaches a photo; her chat and the assistant's redraw their file list
    at once (read through the vault, so the assistant's look is in her access log), and
    nobody else's socket hears of it."""
    from tests.attachments import samples

    errand = demo.alice_errand
    alice_cookie = session_cookie("alice")
    kenji_token = sign_in("kenji")
    alice_token = sign_in("alice")
    bob_token = sign_in("bob")

    async def scenario() -> None:
        alice = await connected(socket(chat_path(errand), cookie=alice_cookie))
        kenji = await connected(socket(chat_path(errand), token=kenji_token))
        bob = await connected(socket(chat_path(demo.bob_errand), token=bob_token))
        response = await db(
            Client().post,
            f"/api/v1/errands/{errand.pk}/attachments",
            {"file": samples.upload("menu-photo.png", samples.png())},
            headers={"X-Session-Token": alice_token},
        )
        assert response.status_code == 201, response.content
        created = response.json()
        for comm in (alice, kenji):
            got = await frame(comm)
            assert got["type"] == "files" and got["errand"] == str(errand.pk)
            assert [f["id"] for f in got["files"]] == [created["id"]]
            assert got["files"][0]["name"] == created["name"]
            assert got["files"][0]["url"].endswith(f"/attachments/{created['id']}")
        assert (await frame_or_none(bob)) is None
        for comm in (alice, kenji, bob):
            await comm.disconnect()

    run(scenario)
    seen = AccessLogEntry.objects.filter(
        customer=demo.people["alice"], actor=demo.people["kenji"], action=AccessAction.READ_FILES
    )
    assert seen.exists()
