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
from hisho.accounts.principal import Principal, principal_of
from hisho.desk.access import access_errand, access_errand_triage, is_participant
from hisho.desk.actions import (
    do_accept_assignee,
    do_assign_errand,
    do_assign_least_loaded,
    do_change_status,
    do_claim_errand,
    do_confirm_done,
    do_create_errand,
    do_hand_back_errand,
    do_post_message,
    do_reopen_errand,
    do_request_other_assistant,
)
from hisho.desk.clocks import Clocks, clocks_for
from hisho.desk.clocks import summary as clock_summary
from hisho.desk.content import (
    ErrandContent,
    MessageView,
    message_view,
    read_content,
    read_messages,
    read_sealed,
)
from hisho.desk.lists import Row, errand_list, rows
from hisho.desk.models import Errand, Label
from hisho.desk.tools.labels import labels_of
from hisho.desk.triage import (
    DEFAULT_CATEGORY,
    TRIAGE_NOTE_MAX,
    TriageCard,
    category_keys,
    category_label,
    triage_card,
)
from hisho.errors import NotFound
from hisho.idempotency.api import idempotent
from hisho.inbound import notice_for
from hisho.inbox.actions import do_mark_read
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
# `GET /errand-categories`, at the API's root (hisho/api.py mounts it).
categories_router = Router(tags=["errands"])
# `GET /response-times` (admins), at the API's root.
response_times_router = Router(tags=["admin"])


class PersonRef(Schema):
    id: int
    name: str


class LabelOut(Schema):
    id: int
    name: str


def label_out(label: Label, language: str | None = "en") -> LabelOut:
    return LabelOut(id=label.pk, name=label.name_in(language))


class ClocksOut(Schema):
    """Response-time clocks in business seconds (docs/response-times.md), staff only."""

    state: Literal["waiting_on_assistant", "waiting_on_customer", "closed"]
    first_response_seconds: int | None = Field(
        description="Creation → the first message not by the customer; null until then."
    )
    next_response_count: int
    next_response_mean_seconds: int | None = Field(
        description="Mean of customer message → next answer, after the first response."
    )
    waiting_since: dt.datetime | None = Field(
        description="While the customer waits for an answer: since when."
    )
    waiting_seconds: int | None = Field(description="Business seconds waited so far.")


def clocks_out(clocks: Clocks) -> ClocksOut:
    return ClocksOut(
        state=clocks.state,  # type: ignore[arg-type]
        first_response_seconds=clocks.first_response_seconds,
        next_response_count=len(clocks.next_response_seconds),
        next_response_mean_seconds=clocks.next_response_mean_seconds,
        waiting_since=clocks.waiting_since,
        waiting_seconds=clocks.waiting_seconds,
    )


class ErrandOut(Schema):
    id: uuid.UUID
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    assignee: PersonRef | None
    # The triage card: all that staff other than the assignee see (hisho/desk/triage.py).
    category: str
    triage_note: str
    summary: str = Field(description="Built from category and triage_note only.")
    language: str = Field(description="The customer's language, if their profile says.")
    view: Literal["full", "triage"]
    title: str | None = None
    details: str | None = None
    # Set when DLP removed card numbers from what the caller just sent (in their language).
    notice: str | None = None
    # When the customer confirmed the done errand (null until then); its labels, from the
    # admin-defined list (ids and names only: no free text on an errand).
    confirmed_at: dt.datetime | None = None
    labels: list[LabelOut] = Field(default_factory=list)
    unread: int | None = Field(
        default=None,
        description="Lists: messages by others since the caller last read the chat "
        "(customers, and assistants who hold the errand).",
    )
    clocks: ClocksOut | None = Field(
        default=None, description="Response-time clocks: for assistants and admins only."
    )


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
    category: str = Field(
        default=DEFAULT_CATEGORY,
        description="One of GET /api/v1/errand-categories.",
        json_schema_extra={"enum": list[Any](category_keys())},
    )
    # text(): the rules clean_triage_note enforces (scrub), published like every text's.
    triage_note: str = text(
        TRIAGE_NOTE_MAX,
        default="",
        description=(
            "Optional, for the coordinators who choose your assistant: they see this and the "
            "category, never the errand itself. Personal details in it are redacted."
        ),
    )


class CategoryOut(Schema):
    key: str
    label: str


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
    label: int | None = Field(
        default=None, ge=1, le=ID_MAX, description="Only errands with this label (its id)."
    )
    status: Literal["new", "assigned", "in_progress", "done", "cancelled"] | None = Field(
        default=None, description="Only errands in this status."
    )
    sort: Literal["created", "activity"] = Field(
        default="created",
        description="`created`: newest first; `activity`: latest activity (updated_at) first.",
    )


class MessageParams(Schema):
    after: int | None = Field(default=None, ge=0, le=ID_MAX)
    limit: int = Field(default=100, ge=1, le=200)


def triage_out(errand: Errand, card: TriageCard, labels: list[Label] | None = None) -> ErrandOut:
    """The triage view: nothing the customer wrote except their note for coordinators."""
    assignee = (
        PersonRef(id=errand.assignee.pk, name=errand.assignee.display_name)
        if errand.assignee
        else None
    )
    return ErrandOut(
        id=errand.pk,
        status=errand.status,
        created_at=errand.created_at,
        updated_at=errand.updated_at,
        assignee=assignee,
        category=card.category,
        triage_note=card.triage_note,
        summary=card.summary,
        language=card.language,
        view="triage",
        confirmed_at=errand.confirmed_at,
        labels=[label_out(label) for label in (labels or [])],
    )


def full_out(
    errand: Errand,
    card: TriageCard,
    content: ErrandContent,
    labels: list[Label] | None = None,
) -> ErrandOut:
    out = triage_out(errand, card, labels)
    out.view = "full"
    out.title = content.title
    out.details = content.details
    return out


def errand_out(reader: Principal, errand: Errand) -> ErrandOut:
    """Full view for participants, triage view (no customer content) for everyone else;
    staff also get the response-time clocks."""
    card = triage_card(errand, "en")
    labels = labels_of([errand.pk])[errand.pk]
    if is_participant(reader, errand):
        out = full_out(errand, card, read_content(reader, errand), labels)
    else:
        out = triage_out(errand, card, labels)
    if reader.role in (Role.ASSISTANT, Role.ADMIN):
        out.clocks = clocks_out(clocks_for([errand])[errand.pk])
    return out


def row_out(row: Row, labels: list[Label] | None = None) -> ErrandOut:
    if row.content is not None:
        out = full_out(row.errand, row.card, row.content, labels)
    else:
        out = triage_out(row.errand, row.card, labels)
    if row.unread is not None:
        out.unread = row.unread
    if row.clocks is not None:
        out.clocks = clocks_out(row.clocks)
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
    """A customer's own errands in full; for staff the triage cards — an assistant opens
    an errand to read it, so a list never logs a read. Queries do not grow with rows."""
    principal = principal_of(request)
    errands = errand_list(principal, status=params.status, sort=params.sort)
    if params.label is not None:
        errands = errands.filter(label_links__label_id=params.label)
    page = list(errands[params.offset : params.offset + params.limit])
    labels = labels_of(e.pk for e in page)
    items = [row_out(row, labels[row.errand.pk]) for row in rows(principal, page, "en")]
    return ErrandPage(items=items, count=errands.count())


def _replay_errand(request: HttpRequest, resource_id: str, **_: Any) -> ErrandOut:
    # The errand as it is now; the card-number notice was given with the first answer.
    principal = principal_of(request)
    out = errand_out(principal, access_errand_triage(principal, resource_id))
    out.notice = None
    return out


@router.post(
    "",
    response=with_errors({201: ErrandOut}),
    exclude_unset=True,
    summary="Ask for help with an errand",
)
@idempotent(replay=_replay_errand)
def create_errand(request: HttpRequest, payload: ErrandIn) -> Status[Any]:
    principal = principal_of(request)
    user = principal.user
    sealed = payload.sealed or SealedIn()
    errand = do_create_errand(
        actor=user,
        title=payload.title,
        details=payload.details,
        phone=sealed.phone,
        address=sealed.address,
        note=sealed.note,
        category=payload.category,
        triage_note=payload.triage_note,
    )
    out = errand_out(principal, errand)
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
    principal = principal_of(request)
    return errand_out(principal, access_errand_triage(principal, errand_id))


@router.get(
    "/{errand_id}/sealed",
    response=with_errors({200: SealedOut}),
    summary="The errand's sealed fields (owner and current assignee)",
)
def get_sealed(request: HttpRequest, errand_id: str) -> SealedOut:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    return SealedOut(**read_sealed(principal, errand).__dict__)


@router.get(
    "/{errand_id}/messages",
    response=with_errors({200: MessagePage}),
    summary="Chat history, oldest first; ?after=<message id> to catch up",
)
def list_messages(
    request: HttpRequest, errand_id: str, params: Query[MessageParams]
) -> MessagePage:
    principal = principal_of(request)
    user = principal.user
    errand = access_errand(principal, errand_id)
    messages = read_messages(principal, errand, after=params.after, limit=params.limit + 1)
    shown = messages[: params.limit]
    if shown:
        do_mark_read(actor=user, errand=errand, up_to=max(m.id for m in shown))
    return MessagePage(
        items=[message_out(user, m) for m in messages[: params.limit]],
        has_more=len(messages) > params.limit,
    )


def _replay_message(
    request: HttpRequest, resource_id: str, *, errand_id: str, **_: Any
) -> MessageOut:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    message_id = int(resource_id)
    for view in read_messages(principal, errand, after=message_id - 1, limit=1):
        if view.id == message_id:
            out = message_out(principal.user, view)
            out.notice = None
            return out
    raise NotFound("No such message.")


@router.post(
    "/{errand_id}/messages", response=with_errors({201: MessageOut}), summary="Post a chat message"
)
@idempotent(replay=_replay_message)
def post_message(request: HttpRequest, errand_id: str, payload: MessageIn) -> Status[Any]:
    principal = principal_of(request)
    user = principal.user
    errand = access_errand(principal, errand_id)
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
    principal = principal_of(request)
    user = principal.user
    require_role(principal, Role.ADMIN, detail="Only admins can assign errands.")
    errand = access_errand_triage(principal, errand_id)
    if payload.assistant_id is not None:
        errand = do_assign_errand(actor=user, errand=errand, assistant_id=payload.assistant_id)
    else:  # AssignIn.one_way: strategy is least_loaded
        errand = do_assign_least_loaded(actor=user, errand=errand)
    return errand_out(principal, errand)


@router.post(
    "/{errand_id}/status",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Cancel (owner), start or finish (assignee)",
)
def change_status(request: HttpRequest, errand_id: str, payload: StatusIn) -> ErrandOut:
    principal = principal_of(request)
    user = principal.user
    errand = do_change_status(
        actor=user, errand=access_errand(principal, errand_id), status=payload.status
    )
    return errand_out(principal, errand)


@categories_router.get(
    "/errand-categories",
    auth=None,  # public: the kinds of errand are no secret (policy.yaml)
    response=with_errors({200: list[CategoryOut]}),
    summary="The kinds of errand to choose from (policy.yaml), labelled in your language",
)
def list_categories(request: HttpRequest) -> list[CategoryOut]:
    language = getattr(request, "LANGUAGE_CODE", None)
    return [CategoryOut(key=key, label=category_label(key, language)) for key in category_keys()]


@router.post(
    "/{errand_id}/unassign",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Ask for a different assistant (customer): the current one loses it at once",
)
def request_other_assistant(request: HttpRequest, errand_id: str) -> ErrandOut:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    errand = do_request_other_assistant(actor=principal.user, errand=errand)
    return errand_out(principal, errand)


@router.post(
    "/{errand_id}/accept-assignee",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Accept the assistant chosen for your errand (when you asked to approve them)",
)
def accept_assignee(request: HttpRequest, errand_id: str) -> ErrandOut:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    errand = do_accept_assignee(actor=principal.user, errand=errand)
    return errand_out(principal, errand)


@router.post(
    "/{errand_id}/claim",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Take an errand from the queue (assistants, where the operator allows it)",
)
def claim_errand(request: HttpRequest, errand_id: str) -> ErrandOut:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, detail="Only assistants can claim errands.")
    errand = access_errand_triage(principal, errand_id)
    errand = do_claim_errand(actor=principal.user, errand=errand)
    return errand_out(principal, errand)


@router.post(
    "/{errand_id}/hand-back",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Give the errand back to the queue (its assistant): they lose it at once",
)
def hand_back_errand(request: HttpRequest, errand_id: str) -> ErrandOut:
    principal = principal_of(request)
    errand = access_errand_triage(principal, errand_id)
    if errand.assignee_id != principal.pk:
        raise NotFound("No such errand.")
    errand = do_hand_back_errand(actor=principal.user, errand=errand)
    return errand_out(principal, errand)


@router.post(
    "/{errand_id}/confirm",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Confirm your done errand (customer): it is closed for good",
)
def confirm_done(request: HttpRequest, errand_id: str) -> ErrandOut:
    principal = principal_of(request)
    errand = do_confirm_done(actor=principal.user, errand=access_errand(principal, errand_id))
    return errand_out(principal, errand)


@router.post(
    "/{errand_id}/reopen",
    response=with_errors({200: ErrandOut}),
    exclude_unset=True,
    summary="Reopen your done errand (customer): back to its assistant, or to the queue",
)
def reopen_errand(request: HttpRequest, errand_id: str) -> ErrandOut:
    principal = principal_of(request)
    errand = do_reopen_errand(actor=principal.user, errand=access_errand(principal, errand_id))
    return errand_out(principal, errand)


class FiguresOut(Schema):
    count: int
    median_seconds: int | None
    p90_seconds: int | None


class ResponseTimesOut(Schema):
    days: int
    errands: int
    first_response: FiguresOut
    next_response: FiguresOut
    waiting_now: int = Field(description="Open errands whose customer waits for an answer.")
    business_hours: str = Field(description="The hours that count, as configured.")


class ResponseTimesParams(Schema):
    days: int = Field(default=30, ge=1, le=366)


@response_times_router.get(
    "/response-times",
    response=with_errors({200: ResponseTimesOut}),
    summary="Response times of errands created in the last `days` days (admins)",
)
def response_times(request: HttpRequest, params: Query[ResponseTimesParams]) -> ResponseTimesOut:
    """Counts and business-time percentiles of first and next responses: figures, never
    a row about a person, computed from message times and authors only."""
    principal = principal_of(request)
    require_role(principal, Role.ADMIN, detail="Response times are for admins.")
    figures = clock_summary(days=params.days)
    return ResponseTimesOut(
        days=figures.days,
        errands=figures.errands,
        first_response=FiguresOut(**figures.first_response.__dict__),
        next_response=FiguresOut(**figures.next_response.__dict__),
        waiting_now=figures.waiting_now,
        business_hours=figures.business_hours,
    )
