"""The one way to read what a customer wrote (house rule 3).

Every read of an errand's title, details, sealed fields or messages comes through
here and is refused unless the reader is a participant (owner or current assignee).
The vault replaces the storage behind these functions; their callers stay as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hisho.accounts.models import User
from hisho.desk.access import ERRAND_NOT_FOUND, is_participant
from hisho.desk.models import Errand, Message
from hisho.errors import NotFound


@dataclass(frozen=True)
class ErrandContent:
    title: str
    details: str


@dataclass(frozen=True)
class SealedFields:
    phone: str | None
    address: str | None
    note: str | None


@dataclass(frozen=True)
class MessageView:
    id: int
    author_id: int | None
    author_name: str
    author_role: str
    body: str
    created_at: dt.datetime


def _require_participant(reader: User | Any, errand: Errand) -> None:
    if not is_participant(reader, errand):
        raise NotFound(ERRAND_NOT_FOUND)


def read_content(reader: User | Any, errand: Errand) -> ErrandContent:
    _require_participant(reader, errand)
    return ErrandContent(title=errand.title, details=errand.details)


def read_sealed(reader: User | Any, errand: Errand) -> SealedFields:
    _require_participant(reader, errand)
    return SealedFields(
        phone=errand.sealed_phone or None,
        address=errand.sealed_address or None,
        note=errand.sealed_note or None,
    )


def read_messages(
    reader: User | Any, errand: Errand, *, after: int | None = None, limit: int = 100
) -> list[MessageView]:
    """Messages oldest first; `after` continues from a message id (catch-up)."""
    _require_participant(reader, errand)
    queryset = Message.objects.filter(errand=errand).select_related("author").order_by("id")
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    return [message_view(message) for message in queryset[:limit]]


def message_view(message: Message) -> MessageView:
    author = message.author
    return MessageView(
        id=message.pk,
        author_id=author.pk if author else None,
        author_name=author.display_name if author else "Former user",
        author_role=author.role if author else "",
        body=message.body,
        created_at=message.created_at,
    )
