"""Live fan-out: after an action commits, tell the people entitled to know.

The caller names the recipients (Zulip's rule): an errand's events go to its customer
and its current assignee — and, on reassignment, to the previous assignee, whose open
connections then close — never to a whole role. Each person has one channel-layer
group per errand, `chat.<person id>.<errand id>`, that every websocket of theirs on that
errand's chat joins (hisho.desk.consumers): a socket hears only of its own errand, so an
assistant with many busy errands does not receive — and queue, and drop once the
layer's per-socket buffer is full — every other errand's events on each open chat.

Events carry ids and enum values only, never content: the channel layer (Redis in the
scaled shape) is one more place data could linger — in memory, in snapshots, in a
replica — and customer content is stored only as ciphertext. A connection that gets an
event re-checks the session and the errand's access, then reads what it shows through
the vault (hisho.desk.content), as the API would for a poll.

The actions call these inside their transaction. The Web Push job is queued right there,
so it commits with the write or not at all (one transaction, no second commit on the
request's path); the live frame is sent once the write commits
(`transaction.on_commit(..., robust=True)`): nothing is announced for a write that rolls
back, and a channel layer that is down costs live delivery (clients catch up with
`?after=<message id>`), never the write. With a channel
layer outside the process (Redis, the scaled shape) the sends go to a background event
loop and the request does not wait for them: the 201 does not need them (issue 15). The
in-memory layer (embedded) lives on the server's own loop and is sent to as before.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

# The consumer method that handles every event (Channels maps "live.event" to
# `live_event`).
EVENT_TYPE = "live.event"

MESSAGE = "message"
STATUS = "status"
ASSIGNMENT = "assignment"
PAYMENT = "payment"
FILES = "files"


def chat_group(user_id: int, errand_id: uuid.UUID | str) -> str:
    """The channel-layer group of one person's connections to one errand's chat."""
    return f"chat.{int(user_id)}.{uuid.UUID(str(errand_id))}"


def _recipients(*user_ids: int | None) -> list[int]:
    return sorted({user_id for user_id in user_ids if user_id is not None})


def message_posted(
    *, errand_id: uuid.UUID, message_id: int, customer_id: int, assignee_id: int | None
) -> None:
    """A message was posted: its customer and the current assignee see it."""
    _announce(
        _recipients(customer_id, assignee_id),
        {"kind": MESSAGE, "errand": str(errand_id), "message": int(message_id)},
    )


def status_changed(*, errand_id: uuid.UUID, customer_id: int, assignee_id: int | None) -> None:
    _announce(_recipients(customer_id, assignee_id), {"kind": STATUS, "errand": str(errand_id)})


def assignment_changed(
    *, errand_id: uuid.UUID, customer_id: int, assignee_id: int | None, previous_id: int | None
) -> None:
    """Reassigned: the customer and the new assignee learn who handles it now; the
    previous assignee's connections re-check their access on this event and close."""
    _announce(
        _recipients(customer_id, assignee_id, previous_id),
        {"kind": ASSIGNMENT, "errand": str(errand_id)},
        push_to=_recipients(customer_id, assignee_id),
    )


def payment_changed(
    *, errand_id: uuid.UUID, payment_id: uuid.UUID, customer_id: int, assignee_id: int | None
) -> None:
    """A payment request on the errand was made or changed status (hisho.payments)."""
    _announce(
        _recipients(customer_id, assignee_id),
        {"kind": PAYMENT, "errand": str(errand_id), "payment": str(payment_id)},
    )


def files_changed(*, errand_id: uuid.UUID, customer_id: int, assignee_id: int | None) -> None:
    """A file was attached (hisho.attachments): open chats redraw their file list."""
    _announce(_recipients(customer_id, assignee_id), {"kind": FILES, "errand": str(errand_id)})


def _announce(
    user_ids: Iterable[int], event: dict[str, Any], *, push_to: Iterable[int] | None = None
) -> None:
    """In the action's transaction: queue the Web Push to the participants' browsers
    (hisho.push: the kind and the errand's id only), and send the live frame once the
    write commits."""
    from hisho.push.send import announce

    user_ids = list(user_ids)
    announce(user_ids if push_to is None else list(push_to), event["kind"], event["errand"])
    transaction.on_commit(partial(_send, user_ids, event), robust=True)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, for sends nobody waits for (its
    Redis connections are reused from send to send)."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-fan-out", daemon=True).start()
            _loop = loop
        return _loop


def _send(user_ids: list[int], event: dict[str, Any]) -> None:
    """The live frame to every connection of these people (after commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    payload = {"type": EVENT_TYPE, **event}

    async def send_all() -> None:
        for user_id in user_ids:
            await layer.group_send(chat_group(user_id, event["errand"]), payload)

    def failed(what: Any) -> None:
        # Ids only in the log. The write has committed; clients catch up by `after=`.
        log.error("live fan-out failed (%s on errand %s): %r", event["kind"], event["errand"], what)

    if not isinstance(layer, InMemoryChannelLayer):
        future = asyncio.run_coroutine_threadsafe(send_all(), _background_loop())
        future.add_done_callback(
            lambda done: failed(done.exception()) if done.exception() is not None else None
        )
        return
    try:
        async_to_sync(send_all)()
    except Exception:
        log.exception("live fan-out failed (%s on errand %s)", event["kind"], event["errand"])
