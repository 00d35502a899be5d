"""The one way to read what a customer wrote (house rule 3).

Every read of an errand's title, details, sealed fields or messages comes through
here, and every one goes through the vault's `unseal` with the reader: the vault asks
the access policy (owner or current assignee only), opens the ciphertext, and writes
one access-log entry per call when the reader is staff. A value that cannot be
decrypted (tampered, moved, or its key shredded) comes back as a placeholder with
`intact=False`, so one bad value never takes a page or a list down with it.

The `*_place` helpers name the cell (table, row, field) each value is sealed into; the
`seal_*` helpers seal into those cells for the actions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from hisho.accounts.models import User
from hisho.accounts.principal import Principal
from hisho.desk.models import Errand, Message
from hisho.vault.models import AccessAction
from hisho.vault.policy import GrantReader
from hisho.vault.sealing import Place, Scope, seal, unseal, unseal_many

ERRAND_TABLE = Errand._meta.db_table
MESSAGE_TABLE = Message._meta.db_table


@dataclass(frozen=True)
class ErrandContent:
    title: str
    details: str
    intact: bool = True


@dataclass(frozen=True)
class SealedFields:
    phone: str | None
    address: str | None
    note: str | None
    intact: bool = True


@dataclass(frozen=True)
class MessageView:
    id: int
    author_id: int | None
    author_name: str
    author_role: str
    body: str
    created_at: dt.datetime
    intact: bool = True


def errand_scope(errand: Errand) -> Scope:
    return Scope(customer_id=errand.customer_id, errand_id=errand.pk)


def errand_place(errand_id: uuid.UUID, field: str) -> Place:
    return Place(ERRAND_TABLE, str(errand_id), field)


def message_place(seal_id: uuid.UUID) -> Place:
    return Place(MESSAGE_TABLE, str(seal_id), "body")


def seal_errand_value(customer: User, errand_id: uuid.UUID, field: str, value: str) -> bytes | None:
    """Ciphertext of one errand field, for do_create_errand (None when empty)."""
    return seal(Scope(customer.pk, errand_id), errand_place(errand_id, field), value)


def seal_message_body(errand: Errand, seal_id: uuid.UUID, body: str) -> bytes:
    sealed = seal(errand_scope(errand), message_place(seal_id), body)
    if sealed is None:
        raise ValueError("a message has a body")
    return sealed


def read_content(reader: Principal | GrantReader, errand: Errand) -> ErrandContent:
    title, details = unseal(
        reader,
        errand_scope(errand),
        [
            (errand_place(errand.pk, "title"), errand.sealed_title),
            (errand_place(errand.pk, "details"), errand.sealed_details),
        ],
        action=AccessAction.READ_ERRAND,
    )
    return ErrandContent(
        title=title.shown() or "",
        details=details.shown() or "",
        intact=title.ok and details.ok,
    )


def read_own_contents(
    principal: Principal, errands: list[Errand]
) -> dict[uuid.UUID, ErrandContent]:
    """Title and details of a customer's own errands, for their list: one policy question
    and one key load for the whole page (a list must not cost a query per row)."""
    out: dict[uuid.UUID, ErrandContent] = {}
    mine = [errand for errand in errands if errand.customer_id == principal.pk]
    if not mine:
        return out
    opened = unseal_many(
        principal,
        principal.pk,
        [
            (
                errand_scope(errand),
                [
                    (errand_place(errand.pk, "title"), errand.sealed_title),
                    (errand_place(errand.pk, "details"), errand.sealed_details),
                ],
            )
            for errand in mine
        ],
        action=AccessAction.READ_ERRAND,
    )
    for errand, (title, details) in zip(mine, opened, strict=True):
        out[errand.pk] = ErrandContent(
            title=title.shown() or "",
            details=details.shown() or "",
            intact=title.ok and details.ok,
        )
    return out


def read_sealed(reader: Principal | GrantReader, errand: Errand) -> SealedFields:
    phone, address, note = unseal(
        reader,
        errand_scope(errand),
        [
            (errand_place(errand.pk, "phone"), errand.sealed_phone),
            (errand_place(errand.pk, "address"), errand.sealed_address),
            (errand_place(errand.pk, "note"), errand.sealed_note),
        ],
        action=AccessAction.READ_SEALED,
    )
    return SealedFields(
        phone=phone.shown(),
        address=address.shown(),
        note=note.shown(),
        intact=phone.ok and address.ok and note.ok,
    )


def read_messages(
    reader: Principal | GrantReader, errand: Errand, *, after: int | None = None, limit: int = 100
) -> list[MessageView]:
    """Messages oldest first; `after` continues from a message id (catch-up)."""
    queryset = Message.objects.filter(errand=errand).select_related("author").order_by("id")
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    return _opened(reader, errand, list(queryset[:limit]))


def read_latest_messages(
    reader: Principal | GrantReader, errand: Errand, *, limit: int, before: int | None = None
) -> tuple[list[MessageView], bool]:
    """The latest `limit` messages (of those before message id `before`), oldest first,
    and whether there are older ones: what a chat page shows."""
    queryset = Message.objects.filter(errand=errand).select_related("author").order_by("-id")
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    latest = list(queryset[: limit + 1])
    return _opened(reader, errand, latest[:limit][::-1]), len(latest) > limit


def _opened(
    reader: Principal | GrantReader, errand: Errand, messages: list[Message]
) -> list[MessageView]:
    bodies = unseal(
        reader,
        errand_scope(errand),
        [(message_place(m.seal_id), m.sealed_body) for m in messages],
        action=AccessAction.READ_MESSAGES,
    )
    return [
        _view(message, body.shown() or "", intact=body.ok)
        for message, body in zip(messages, bodies, strict=True)
    ]


def message_view(message: Message) -> MessageView:
    """The view of a message its author has just posted (from `do_post_message`): its text
    is still in memory, so nothing is decrypted. Stored messages: `read_messages`."""
    if message.posted_body is None:
        raise ValueError("message_view is for a just-posted message; use read_messages")
    return _view(message, message.posted_body, intact=True)


def _view(message: Message, body: str, *, intact: bool) -> MessageView:
    author = message.author
    return MessageView(
        id=message.pk,
        author_id=author.pk if author else None,
        author_name=author.display_name if author else "Former user",
        author_role=author.role if author else "",
        body=body,
        created_at=message.created_at,
        intact=intact,
    )
