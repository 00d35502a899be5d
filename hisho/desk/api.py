"""`/api/v1/errands`: errands, their sealed fields, chat, assignment and lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, model_validator

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.desk.access import access_errand, access_errand_triage, errands_for, is_participant
from hisho.desk.actions import (
    do_assign_errand,
    do_assign_least_loaded,
    do_change_status,
    do_create_errand,
    do_post_message,
)
from hisho.desk.content import (
    MessageView,
    message_view,
    read_content,
    read_messages,
    read_sealed,
)
from hisho.desk.models import Errand
from hisho.errors import NotFound
from hisho.idempotency.api import idempotent
from hisho.inbound import notice_for
from hisho.schemas import ID_MAX, JsonId, StrictIn, text, with_errors
from hisho.textcheck import (
    ADDRESS_MAX,
    DETAILS_MAX,
    MESSAGE_MAX,
    NOTE_MAX,
    PHONE_MAX,
    TITLE_MAX,
)

router = Router(tags=["errands"])


class PersonRef(Schema):
    id: int
    name: str


class ErrandOut(Schema):
    id: uuid.UUID
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    assignee: PersonRef | None
    summary: str
    view: Literal["full", "triage"]
    title: str | None = None
    details: str | None = None
    # Set when DLP removed card numbers from what the caller just sent (in their language).
    notice: str | None = None


class ErrandPage(Schema):
    items: list[ErrandOut]
    count: int


class SealedIn(StrictIn):
    phone: str | None = text(PHONE_MAX, default=None)
    address: str | None = text(ADDRESS_MAX, default=None)
    note: str | None = text(NOTE_MAX, default=None)


class ErrandIn(StrictIn):
    title: str = text(TITLE_MAX, required=True)
    details: str = text(DETAILS_MAX, default="")
    sealed: SealedIn | None = None


class SealedOut(Schema):
    phone: str | None
    address: str | None
    note: str | None


class AuthorOut(Schema):
    id: int
    name: str
    role: str


class MessageOut(Schema):
    id: int
    author: AuthorOut | None
    body: str
    created_at: dt.datetime
    mine: bool
    notice: str | None = None


class MessagePage(Schema):
    items: list[MessageOut]
    has_more: bool


class MessageIn(StrictIn):
    body: str = text(MESSAGE_MAX, required=True)


class StatusIn(StrictIn):
    status: Literal["new", "assigned", "in_progress", "done", "cancelled"]


def _assign_schema(schema: dict[str, Any]) -> None:
    # Exactly one of the two, neither of them null (what one_way() enforces).
    properties = schema["properties"]
    properties["assistant_id"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": ID_MAX,
        "title": "Assistant Id",
    }
    properties["strategy"] = {"type": "string", "enum": ["least_loaded"], "title": "Strategy"}
    schema["oneOf"] = [{"required": ["assistant_id"]}, {"required": ["strategy"]}]


class AssignIn(StrictIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_assign_schema)

    assistant_id: JsonId | None = None
    strategy: Literal["least_loaded"] | None = None

    @model_validator(mode="before")
    @classmethod
    def no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("assistant_id", "strategy"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} may be left out, not null.")
        return data

    @model_validator(mode="after")
    def one_way(self) -> AssignIn:
        if (self.assistant_id is None) == (self.strategy is None):
            raise ValueError("Give either assistant_id or strategy=least_loaded.")
        return self


class ListParams(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class MessageParams(Schema):
    after: int | None = Field(default=None, ge=0, le=ID_MAX)
    limit: int = Field(default=100, ge=1, le=200)


def errand_out(reader: User, errand: Errand) -> ErrandOut:
    """Full view for participants, triage view (no customer content) for everyone else."""
    assignee = (
        PersonRef(id=errand.assignee.pk, name=errand.assignee.display_name)
        if errand.assignee
        else None
    )
    out = ErrandOut(
        id=errand.pk,
        status=errand.status,
        created_at=errand.created_at,
        updated_at=errand.updated_at,
        assignee=assignee,
        summary=errand.summary,
        view="triage",
    )
    if is_participant(reader, errand):
        content = read_content(reader, errand)
        out.view = "full"
        out.title = content.title
        out.details = content.details
    return out


def message_out(reader: User, message: MessageView) -> MessageOut:
    author = (
        AuthorOut(id=message.author_id, name=message.author_name, role=message.author_role)
        if message.author_id is not None
        else None
    )
    return MessageOut(
        id=message.id,
        author=author,
        body=message.body,
        created_at=message.created_at,
        mine=message.author_id == reader.pk,
    )


@router.get(
    "",
    response=with_errors({200: ErrandPage}),
    exclude_unset=True,
    summary="Your errands (customers), assigned errands (assistants), all (admins)",
)
def list_errands(request: HttpRequest, params: Query[ListParams]) -> ErrandPage:
    user: User = request.user  # type: ignore[assignment]
    errands = errands_for(user)
    page = list(errands[params.offset : params.offset + params.limit])
    return ErrandPage(items=[errand_out(user, errand) for errand in page], count=errands.count())


def _replay_errand(request: HttpRequest, resource_id: str, **_: Any) -> ErrandOut:
    # The errand as it is now; the card-number notice was given with the first answer.
    user: User = request.user  # type: ignore[assignment]
    out = errand_out(user, access_errand_triage(user, resource_id))
    out.notice = None
    return out


@router.post(
    "",
    response=with_errors({201: ErrandOut}),
    exclude_unset=True,
    summary="Ask for help with an errand",
)
@idempotent(replay=_replay_errand)
def create_errand(request: HttpRequest, payload: ErrandIn) -> Status:
    user: User = request.user  # type: ignore[assignment]
    sealed = payload.sealed or SealedIn()
    errand = do_create_errand(
        actor=user,
        title=payload.title,
        details=payload.details,
        phone=sealed.phone,
        address=sealed.address,
        note=sealed.note,
    )
    out = errand_out(user, errand)
    out.notice = notice_for(
        errand.cards_masked, language=user.language, fallback=request.LANGUAGE_CODE
    )
    return Status(201, out)


@router.get(
    "/{errand_id}",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="One errand: full for owner and assignee, triage view for staff",
)
def get_errand(request: HttpRequest, errand_id: str) -> ErrandOut:
    user: User = request.user  # type: ignore[assignment]
    return errand_out(user, access_errand_triage(user, errand_id))


@router.get(
    "/{errand_id}/sealed",
    response=with_errors({200: SealedOut}),
    summary="The errand's sealed fields (owner and current assignee)",
)
def get_sealed(request: HttpRequest, errand_id: str) -> SealedOut:
    user: User = request.user  # type: ignore[assignment]
    errand = access_errand(user, errand_id)
    return SealedOut(**read_sealed(user, errand).__dict__)


@router.get(
    "/{errand_id}/messages",
    response=with_errors({200: MessagePage}),
    summary="Chat history, oldest first; ?after=<message id> to catch up",
)
def list_messages(
    request: HttpRequest, errand_id: str, params: Query[MessageParams]
) -> MessagePage:
    user: User = request.user  # type: ignore[assignment]
    errand = access_errand(user, errand_id)
    messages = read_messages(user, errand, after=params.after, limit=params.limit + 1)
    return MessagePage(
        items=[message_out(user, m) for m in messages[: params.limit]],
        has_more=len(messages) > params.limit,
    )


def _replay_message(
    request: HttpRequest, resource_id: str, *, errand_id: str, **_: Any
) -> MessageOut:
    user: User = request.user  # type: ignore[assignment]
    errand = access_errand(user, errand_id)
    message_id = int(resource_id)
    for view in read_messages(user, errand, after=message_id - 1, limit=1):
        if view.id == message_id:
            out = message_out(user, view)
            out.notice = None
            return out
    raise NotFound("No such message.")


@router.post(
    "/{errand_id}/messages", response=with_errors({201: MessageOut}), summary="Post a chat message"
)
@idempotent(replay=_replay_message)
def post_message(request: HttpRequest, errand_id: str, payload: MessageIn) -> Status:
    user: User = request.user  # type: ignore[assignment]
    errand = access_errand(user, errand_id)
    message = do_post_message(actor=user, errand=errand, body=payload.body)
    out = message_out(user, message_view(message))
    out.notice = notice_for(
        message.cards_masked, language=user.language, fallback=request.LANGUAGE_CODE
    )
    return Status(201, out)


@router.post(
    "/{errand_id}/assign",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    tags=["admin"],
    summary="(Re)assign to an assistant, or to the least-loaded one",
)
def assign_errand(request: HttpRequest, errand_id: str, payload: AssignIn) -> ErrandOut:
    user: User = request.user  # type: ignore[assignment]
    require_role(user, Role.ADMIN, detail="Only admins can assign errands.")
    errand = access_errand_triage(user, errand_id)
    if payload.assistant_id is not None:
        errand = do_assign_errand(actor=user, errand=errand, assistant_id=payload.assistant_id)
    else:  # AssignIn.one_way: strategy is least_loaded
        errand = do_assign_least_loaded(actor=user, errand=errand)
    return errand_out(user, errand)


@router.post(
    "/{errand_id}/status",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Cancel (owner), start or finish (assignee)",
)
def change_status(request: HttpRequest, errand_id: str, payload: StatusIn) -> ErrandOut:
    user: User = request.user  # type: ignore[assignment]
    errand = do_change_status(
        actor=user, errand=access_errand(user, errand_id), status=payload.status
    )
    return errand_out(user, errand)
