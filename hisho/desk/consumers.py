"""The live chat of one errand over a websocket: `/ws/v1/errands/<errand id>/`.

Protocol (docs/live-chat.md), JSON text frames:

client → server
  {"type": "message.post", "body": "…", "ref": "c1"}   post, like POST …/messages
  {"type": "ping"}                                      → {"type": "pong"}
server → client
  {"type": "posted", "ref": "c1", "message": {…}}       the sender's 201: a MessageOut
  {"type": "error", "ref": "c1", "status": 422, …}      a problem (RFC 9457 fields)
  {"type": "message", "errand": "…", "message": {…}}    a message someone posted
  {"type": "status", "errand": "…", "status": "…", "status_label": "…",
   "assignee": {"id": …, "name": "…"} | null, "accepted": bool}
  {"type": "assignment", …the same fields as "status"}
  {"type": "payment", "errand": "…", "payment": {"id", "status", "status_label",
   "amount", "currency", "amount_refunded"}}          (hisho.payments)
close codes: 4401 the session ended, 4404 the errand is no longer yours, 1009 a frame
over FRAME_MAX characters, 4400 a frame nesting JSON deeper than DEPTH_MAX (each after
an error frame; docs/api-limits.md).

Who may connect: the errand's owner and its current assignee, signed in with the
browser session cookie (the page; the Origin must be this site) or the app's session
token, offered as the subprotocol `hisho.token.<token>` beside `hisho.v1` (a header is
not available to browsers' WebSocket API, and a query string ends up in access logs).
Anything else is refused at the handshake, with no hint why.

Posting runs the same path as the API (`access_errand(for_write)` → `do_post_message`:
DLP, sealing, audit, on-commit fan-out). Every event re-checks the session and the
errand's access before anything is sent, and content is read through the vault under the
connection's person, so a reassigned assistant's socket closes at the first event, and a
signed-out one at the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host
from django.utils import translation

from hisho.accounts.models import User
from hisho.accounts.principal import Principal, SecondFactorRequired, principal_for
from hisho.accounts.security import session_expired
from hisho.accounts.sessions import app_token_session, browser_session, session_user
from hisho.desk import live
from hisho.desk.access import access_errand
from hisho.desk.actions import do_post_message
from hisho.desk.api import message_out
from hisho.desk.content import message_view, read_messages
from hisho.errors import ClientError, Conflict, Forbidden, InvalidInput, NotFound
from hisho.inbound import card_notice
from hisho.inbox.actions import do_mark_read
from hisho.notify import presence
from hisho.textcheck import nests_deeper_than
from hisho.vault.reads import reads_logged_once

log = logging.getLogger(__name__)

SUBPROTOCOL = "hisho.v1"
TOKEN_PREFIX = "hisho.token."  # noqa: S105 - a subprotocol name, not a secret
CLOSE_SIGNED_OUT = 4401
CLOSE_NO_ACCESS = 4404
REF_MAX = 64
# Input limits (issue 14; docs/api-limits.md). A frame carries one message of at most
# 10,000 characters and a few short fields: 64 KiB leaves room for JSON escapes, and no
# frame of the protocol nests deeper than 2.
FRAME_MAX = 64 * 1024
DEPTH_MAX = 16
CLOSE_TOO_BIG = 1009  # RFC 6455: "message too big"
CLOSE_INTERNAL_ERROR = 1011  # RFC 6455: "internal error" (a fault of ours)
CLOSE_BAD_INPUT = 4400
REJOIN_SECONDS = 3600
# How many of its own posts a connection remembers, so their fan-out is not echoed back.
OWN_POSTS_KEPT = 64


def logged_once(work: Callable[..., Any]) -> Callable[..., Any]:
    """Run `work` (in the database thread) as one request for the access log: its staff
    reads make one entry per errand and one audit event (hisho/vault/reads.py)."""

    def run(*args: Any) -> Any:
        with reads_logged_once():
            return work(*args)

    return run


class _Gone(Exception):
    """The client went away while a frame was being sent to it (the ASGI server raises
    an OSError, uvicorn its ClientDisconnected): nothing to answer, nothing of ours
    failed."""


class _Refused(Exception):
    """The connection must close with this code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def origin_allowed(scope: Mapping[str, Any], origin: str) -> bool:
    """The Origin is this site (the Host the browser connected to, if it is an allowed
    host) or listed in HISHO_CSRF_TRUSTED_ORIGINS — the rule Django's CSRF check applies
    to forms, so a page elsewhere cannot ride a signed-in browser's cookie."""
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:  # "http://[": no URL at all (it was a 500 at the handshake)
        return False
    host = _header(scope, b"host") or ""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    if parts.netloc.lower() != host.lower():
        return False
    # A secure socket only from a secure page; a plain one may sit behind a TLS proxy.
    allowed_schemes = {"https"} if scope.get("scheme") == "wss" else {"http", "https"}
    return parts.scheme in allowed_schemes


def offered_token(scope: Mapping[str, Any]) -> tuple[bool, str | None]:
    """(hisho.v1 offered, the token offered as a subprotocol)."""
    offered = [str(p) for p in scope.get("subprotocols") or []]
    tokens = [p[len(TOKEN_PREFIX) :] for p in offered if p.startswith(TOKEN_PREFIX)]
    return SUBPROTOCOL in offered, (tokens[0] if len(tokens) == 1 else None)


def browser_language(scope: Mapping[str, Any]) -> str:
    """The language the handshake's browser asks for (its language cookie, then
    Accept-Language), chosen as LocaleMiddleware chooses a page's."""
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    request.META["HTTP_ACCEPT_LANGUAGE"] = _header(scope, b"accept-language") or ""
    return translation.get_language_from_request(request)


def _problem(status: int, detail: str, ref: str | None, **extra: Any) -> dict[str, Any]:
    from http import HTTPStatus

    frame: dict[str, Any] = {
        "type": "error",
        "ref": ref,
        "status": status,
        "title": HTTPStatus(status).phrase,
        "detail": detail,
    }
    frame.update(extra)
    return frame


def _dumps(frame: dict[str, Any]) -> str:
    # The API's encoder, so times and ids look exactly as in its JSON.
    text = json.dumps(frame, cls=DjangoJSONEncoder, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate the client sent, echoed back (a field name it made up): the
        # server cannot send it as UTF-8, so it goes escaped, as plain ASCII JSON.
        return json.dumps(frame, cls=DjangoJSONEncoder)
    return text


class ErrandChatConsumer(AsyncWebsocketConsumer):
    errand_id: uuid.UUID
    user_id: int
    session_key: str
    via_token: bool

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the connection ends — a close, or an exception raised in Channels'
            # own loop (the channel layer's Redis failing under the socket) that skips
            # `disconnect` — the person no longer counts as having the chat open, and
            # nothing of this socket keeps running: else its presence heartbeat went on,
            # and no e-mail reached them about the errand until the process restarted.
            await self._stop()

    async def connect(self) -> None:
        try:
            subprotocol = await self._handshake()
        except _Refused:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self._own: deque[int] = deque(maxlen=OWN_POSTS_KEPT)
        self._closed = False
        self.groups = [live.chat_group(self.user_id, self.errand_id)]
        await self.channel_layer.group_add(self.groups[0], self.channel_name)
        self._rejoin = asyncio.create_task(self._keep_membership())
        await self.accept(subprotocol)
        # The page is open: no e-mail about this errand while it is (hisho.notify).
        self._presence: presence.Presence | None = await presence.arrived(
            self.user_id, self.errand_id
        )

    async def _keep_membership(self) -> None:
        # The Redis layer forgets a group member after a day (its group_expiry); a chat
        # left open longer joins again now and then.
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            await self.channel_layer.group_add(self.groups[0], self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self._stop()

    async def _stop(self) -> None:
        rejoin = getattr(self, "_rejoin", None)
        if rejoin is not None:
            rejoin.cancel()
        await self._leave()

    async def _leave(self) -> None:
        here = getattr(self, "_presence", None)
        if here is not None:
            self._presence = None
            await here.close()

    async def _handshake(self) -> str | None:
        """Checks Origin, who is connecting and their access; returns the subprotocol."""
        origin = _header(self.scope, b"origin")
        has_v1, token = offered_token(self.scope)
        if origin is not None and not origin_allowed(self.scope, origin):
            raise _Refused(CLOSE_NO_ACCESS)
        if token is not None:
            if not has_v1:
                raise _Refused(CLOSE_SIGNED_OUT)
            self.via_token, self.session_key = True, token
        else:
            # The browser: its session cookie (AuthMiddlewareStack), from this site only.
            session = self.scope.get("session")
            key = getattr(session, "session_key", None)
            if origin is None or not key:
                raise _Refused(CLOSE_SIGNED_OUT)
            self.via_token, self.session_key = False, key
        try:
            errand_id = uuid.UUID(str(self.scope["url_route"]["kwargs"]["errand_id"]))
        except ValueError:
            raise _Refused(CLOSE_NO_ACCESS) from None
        user = await database_sync_to_async(logged_once(self._admit))(errand_id)
        self.errand_id, self.user_id = errand_id, user.pk
        self.browser_language = browser_language(self.scope)
        return SUBPROTOCOL if has_v1 else None

    # --- run in the database thread -----------------------------------------------------

    def _current_principal(self, *, by_person: bool) -> Principal:
        """The connection's principal as the session says now: signed out, expired,
        deactivated or another person → the connection ends. `by_person`: the person
        did something (connected, posted), which keeps an idle session alive; an event
        arriving for them does not."""
        if self.via_token:
            session = app_token_session(self.session_key)
        else:
            session = browser_session(self.session_key)
        user = session_user(session) if session is not None else None
        if session is None or user is None or not user.is_active:
            raise _Refused(CLOSE_SIGNED_OUT)
        if session_expired(session, save=by_person):
            raise _Refused(CLOSE_SIGNED_OUT)
        if getattr(self, "user_id", None) not in (None, user.pk):
            raise _Refused(CLOSE_SIGNED_OUT)
        # Staff see errands only from a session that passed a second factor.
        principal = principal_for(user, session)
        if principal is None:
            raise _Refused(CLOSE_SIGNED_OUT)
        return principal

    def _speaking_to(self, user: User) -> contextlib.AbstractContextManager[None]:
        """What a frame says (status labels, file kinds and sizes, error messages) in the
        language the person's page is in — their chosen one, else their browser's, as
        hisho.accounts.middleware.PreferencesMiddleware picks it. Nothing activates a
        language in the consumer: without this a Japanese page was redrawn in English."""
        chosen = user.language if user.language in dict(settings.LANGUAGES) else ""
        return translation.override(chosen or self.browser_language)

    def _admit(self, errand_id: uuid.UUID) -> User:
        principal = self._current_principal(by_person=True)
        user = principal.user
        try:
            access_errand(principal, errand_id)
        except NotFound:
            raise _Refused(CLOSE_NO_ACCESS) from None
        except SecondFactorRequired:
            raise _Refused(CLOSE_SIGNED_OUT) from None
        return user

    def _post(self, body: str, ref: str | None) -> dict[str, Any]:
        principal = self._current_principal(by_person=True)
        user = principal.user
        try:
            with self._speaking_to(user), transaction.atomic():
                errand = access_errand(principal, self.errand_id, for_write=True)
                message = do_post_message(actor=user, errand=errand, body=body)
        except NotFound:
            raise _Refused(CLOSE_NO_ACCESS) from None
        except SecondFactorRequired:
            raise _Refused(CLOSE_SIGNED_OUT) from None
        self._own.append(message.pk)
        out = message_out(user, message_view(message))
        if message.cards_masked:
            out.notice = card_notice(user.language or settings.LANGUAGE_CODE)
        return {"type": "posted", "ref": ref, "message": out.model_dump(exclude_none=True)}

    def _frames_for(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """What this connection's person may see of one event, checked now."""
        principal = self._current_principal(by_person=False)
        user = principal.user
        with self._speaking_to(user):
            return self._frames_in_language(principal, event)

    def _frames_in_language(
        self, principal: Principal, event: dict[str, Any]
    ) -> list[dict[str, Any]]:
        user = principal.user
        try:
            errand = access_errand(principal, self.errand_id)
            kind = event.get("kind")
            errand_ref = str(errand.pk)
            if kind == live.MESSAGE:
                message_id = int(event["message"])
                views = read_messages(principal, errand, after=message_id - 1, limit=1)
                if any(view.id == message_id for view in views):
                    # Shown on an open page: read (the unread counts of the lists).
                    do_mark_read(actor=user, errand=errand, up_to=message_id)
                return [
                    {
                        "type": "message",
                        "errand": errand_ref,
                        "message": message_out(user, view).model_dump(exclude_none=True),
                    }
                    for view in views
                    if view.id == message_id
                ]
            if kind in (live.STATUS, live.ASSIGNMENT):
                # Both say who handles it now, and whether the customer accepted them
                # (accepting is a status event), so the page redraws from either.
                assignee = errand.assignee
                return [
                    {
                        "type": "status" if kind == live.STATUS else "assignment",
                        "errand": errand_ref,
                        "status": errand.status,
                        "status_label": errand.get_status_display(),
                        "assignee": {"id": assignee.pk, "name": assignee.display_name}
                        if assignee
                        else None,
                        "accepted": bool(errand.assignee_accepted),
                    }
                ]
            if kind == live.FILES:
                from hisho.attachments.access import files_frame

                return [files_frame(principal, errand)]
            if kind == live.PAYMENT:
                from hisho.payments.access import payment_frame

                frame = payment_frame(principal, errand, str(event.get("payment")))
                return [frame] if frame is not None else []
        except NotFound:
            raise _Refused(CLOSE_NO_ACCESS) from None
        except SecondFactorRequired:
            raise _Refused(CLOSE_SIGNED_OUT) from None
        return []

    def _email_unseen_reply(self, event: dict[str, Any]) -> None:
        """The session behind this socket ended (signed out, expired) and the reply that
        revealed it was not shown. While the socket was open the person counted as having
        the page open, so the reply's e-mail was skipped (hisho.notify.events); with the
        socket now gone, e-mail it after all — unless they wrote it or another page of
        theirs is still open. The job re-checks participation, preference and throttle."""
        from hisho.desk.models import Message
        from hisho.notify.events import REPLY, errand_event

        author = (
            Message.objects.filter(pk=int(event["message"]), errand_id=self.errand_id)
            .values_list("author_id", flat=True)
            .first()
        )
        if author is not None and author != self.user_id:
            errand_event(errand_id=self.errand_id, kind=REPLY, people=[self.user_id])

    # --- the event loop -------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            await self._receive(text_data, bytes_data)
        except _Gone:
            await self._went_away()
        except Exception as exc:
            await self._crashed(exc)

    async def live_event(self, event: dict[str, Any]) -> None:
        """An event from hisho.desk.live, for one of this person's errands."""
        try:
            await self._live_event(event)
        except _Gone:
            await self._went_away()
        except Exception as exc:
            await self._crashed(exc)

    async def _went_away(self) -> None:
        """The client closed or dropped the connection before our answer: an everyday
        event (a tab closed mid-post), not a fault — no error in the log, which any
        client could otherwise fill, and no close frame to a peer that is gone."""
        log.info("websocket client went away: errand %s, user %s", self.errand_id, self.user_id)
        self._closed = True
        await self._stop()

    async def _crashed(self, exc: Exception) -> None:
        """A fault of ours: the socket closes 1011 and leaves everything it joined. An
        exception escaping a consumer skips `disconnect`, and the person would count as
        having the chat open (no e-mails about it) until the process restarted. The log
        names the exception's type only: its message may hold what the client sent."""
        log.error(
            "websocket consumer failed (%s): errand %s, user %s",
            type(exc).__name__,
            self.errand_id,
            self.user_id,
        )
        await self._stop()
        with contextlib.suppress(Exception):
            # The socket itself may be what failed; what we joined is left already.
            await self._end(CLOSE_INTERNAL_ERROR)

    async def _receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        if self._closed:
            return
        size = len(text_data) if text_data is not None else len(bytes_data or b"")
        if size > FRAME_MAX:
            await self._refuse(413, f"A frame holds at most {FRAME_MAX} characters.", CLOSE_TOO_BIG)
            return
        if text_data is None:
            await self._send(_problem(400, "Frames are JSON text.", None))
            return
        if nests_deeper_than(text_data, DEPTH_MAX):
            await self._refuse(
                400, f"A frame nests at most {DEPTH_MAX} levels deep.", CLOSE_BAD_INPUT
            )
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._send(_problem(400, "The frame is not valid JSON.", None))
            return
        if not isinstance(frame, dict):
            await self._send(_problem(400, "A frame is a JSON object.", None))
            return
        ref = frame.get("ref")
        if ref is not None and not (
            isinstance(ref, str) and 0 < len(ref) <= REF_MAX and ref.isprintable()
        ):
            await self._send(
                _problem(
                    422,
                    "Invalid input.",
                    None,
                    errors=[
                        {
                            "field": "ref",
                            "message": f"A string of 1–{REF_MAX} printable characters.",
                        }
                    ],
                )
            )
            return
        kind = frame.get("type")
        if kind == "ping" and set(frame) <= {"type", "ref"}:
            await self._send({"type": "pong", "ref": ref})
        elif kind == "message.post":
            await self._receive_post(frame, ref)
        else:
            await self._send(
                _problem(
                    422,
                    "Invalid input.",
                    ref,
                    errors=[{"field": "type", "message": "Expected message.post or ping."}],
                )
            )

    async def _receive_post(self, frame: dict[str, Any], ref: str | None) -> None:
        unknown = sorted(set(frame) - {"type", "ref", "body"})
        body = frame.get("body")
        if unknown or not isinstance(body, str):
            errors = [{"field": name, "message": "Unknown field."} for name in unknown]
            if not isinstance(body, str):
                errors.append({"field": "body", "message": "A string is required."})
            await self._send(_problem(422, "Invalid input.", ref, errors=errors))
            return
        try:
            reply = await database_sync_to_async(logged_once(self._post))(body, ref)
        except _Refused as refused:
            if refused.code == CLOSE_SIGNED_OUT:
                await self._send(_problem(401, "Sign in again.", ref))
            else:
                await self._send(_problem(404, "No such errand.", ref))
            await self._end(refused.code)
            return
        except InvalidInput as exc:
            reply = _problem(
                422, "Invalid input.", ref, errors=[{"field": exc.field, "message": exc.message}]
            )
        except (Conflict, Forbidden) as exc:
            reply = _problem(409 if isinstance(exc, Conflict) else 403, exc.detail, ref)
        except ClientError as exc:
            reply = _problem(400, exc.detail, ref)
        await self._send(reply)

    async def _live_event(self, event: dict[str, Any]) -> None:
        if self._closed or event.get("errand") != str(self.errand_id):
            return
        if event.get("kind") == live.MESSAGE and event.get("message") in self._own:
            return  # this connection posted it and has had its "posted" reply
        try:
            frames = await database_sync_to_async(logged_once(self._frames_for))(event)
        except _Refused as refused:
            await self._end(refused.code)
            if refused.code == CLOSE_SIGNED_OUT and event.get("kind") == live.MESSAGE:
                await database_sync_to_async(self._email_unseen_reply)(event)
            return
        for frame in frames:
            await self._send(frame)

    async def _refuse(self, status: int, detail: str, code: int) -> None:
        """Input over a limit: a problem frame, then the socket closes with `code`.
        One line in the log, with ids only (house rule 5)."""
        log.warning(
            "websocket frame refused (%s): errand %s, user %s", code, self.errand_id, self.user_id
        )
        await self._send(_problem(status, detail, None))
        await self._end(code)

    async def _send(self, frame: dict[str, Any]) -> None:
        try:
            await self.send(text_data=_dumps(frame))
        except OSError as exc:
            raise _Gone from exc

    async def _end(self, code: int) -> None:
        if not self._closed:
            self._closed = True
            await self._leave()
            await self.channel_layer.group_discard(self.groups[0], self.channel_name)
            try:
                await self.close(code=code)
            except OSError as exc:
                raise _Gone from exc


class Refuse(AsyncWebsocketConsumer):
    """Any other websocket path: refused at the handshake."""

    async def connect(self) -> None:
        await self.close()
