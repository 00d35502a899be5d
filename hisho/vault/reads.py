"""Reads log once: within one request (a page, an API call, one websocket frame) a staff
member's reads of one errand make *one* access-log entry — "Kenji opened your errand:
its text, the sealed details and the chat" — and the whole request makes at most one audit
event, however many content functions the page called.

Entry points open the batch: `ReadsLogOnceMiddleware` for HTTP, the live-chat consumer
for each frame (`reads_logged_once()`). Outside a batch (a command, a test calling the
content functions directly) every read is logged on its own, as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse


@dataclass
class ReadBatch:
    # (actor id, customer id, errand id) → the access-log entry written for it
    entries: dict[tuple[int, int, uuid.UUID | None], Any] = field(default_factory=dict)
    actor: Any = None


_current: ContextVar[ReadBatch | None] = ContextVar("hisho_read_batch", default=None)


def current_batch() -> ReadBatch | None:
    return _current.get()


@contextmanager
def reads_logged_once() -> Iterator[ReadBatch]:
    """Coalesce the staff reads made inside into one entry per errand and, when the block
    ends, one audit event."""
    outer = _current.get()
    if outer is not None:  # already inside one (a middleware and a view, say)
        yield outer
        return
    batch = ReadBatch()
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
        if batch.entries:
            from hisho.vault.actions import do_audit_staff_reads

            do_audit_staff_reads(actor=batch.actor, entries=list(batch.entries.values()))


class ReadsLogOnceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with reads_logged_once():
            return self.get_response(request)
