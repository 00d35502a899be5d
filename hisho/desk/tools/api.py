"""`/api/v1`: labels, canned replies, internal notes and ratings (issue 18; docs/desk.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.accounts.principal import principal_of
from hisho.desk.access import access_errand
from hisho.desk.api import LabelOut, label_out
from hisho.desk.models import CannedReply, InternalNote, Label
from hisho.desk.tools import canned
from hisho.desk.tools.actions import (
    LABEL_NAME_MAX,
    LABELS_PER_ERRAND,
    do_add_internal_note,
    do_create_canned_reply,
    do_create_label,
    do_delete_canned_reply,
    do_delete_label,
    do_rate_errand,
    do_set_errand_labels,
    do_update_canned_reply,
    do_update_label,
)
from hisho.desk.tools.labels import all_labels
from hisho.desk.tools.sealed import (
    MIN_RATINGS,
    NOTE_MAX,
    RATING_COMMENT_MAX,
    NoteView,
    access_errand_notes,
    access_errand_rating,
    own_average,
    posted_note_view,
    rating_averages,
    read_notes,
    read_rating,
)
from hisho.errors import NotFound
from hisho.idempotency.api import idempotent
from hisho.inbound import notice_for
from hisho.schemas import Integral, JsonId, StrictIn, text, with_errors

# Mounted at /api/v1 (hisho/api.py).
router = Router(tags=["assistant tools"])


class LabelIn(StrictIn):
    name_en: str = text(LABEL_NAME_MAX, required=True)
    name_ja: str = text(LABEL_NAME_MAX, required=True)


class LabelFullOut(Schema):
    id: int
    name_en: str
    name_ja: str


class ErrandLabelsIn(StrictIn):
    label_ids: list[JsonId] = Field(max_length=LABELS_PER_ERRAND)


class ErrandLabelsOut(Schema):
    labels: list[LabelOut]


class CannedIn(StrictIn):
    title: str = text(canned.TITLE_MAX, required=True)
    body_en: str = text(
        canned.BODY_MAX,
        required=True,
        description="Placeholders: " + ", ".join(f"{{{p}}}" for p in canned.PLACEHOLDERS),
    )
    body_ja: str = text(canned.BODY_MAX, required=True)


class CannedOut(Schema):
    id: int
    title: str
    body_en: str
    body_ja: str


class FilledReplyOut(Schema):
    id: int
    title: str
    text: str = Field(description="In the customer's language, placeholders filled in.")


class NoteIn(StrictIn):
    body: str = text(NOTE_MAX, required=True)


class NoteOut(Schema):
    id: int
    author_name: str
    body: str
    created_at: dt.datetime
    notice: str | None = None


class RatingIn(StrictIn):
    stars: Annotated[int, Field(ge=1, le=5), Integral]
    comment: str = text(RATING_COMMENT_MAX, default="")


class RatingOut(Schema):
    stars: int
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime
    notice: str | None = None


class AverageOut(Schema):
    assistant_id: int
    name: str
    ratings: int
    average: float


class OwnAverageOut(Schema):
    min_ratings: int = Field(description="Averages are shown from this many ratings up.")
    average: float | None = Field(description="Null until min_ratings ratings.")


def _label_full(label: Label) -> LabelFullOut:
    return LabelFullOut(id=label.pk, name_en=label.name_en, name_ja=label.name_ja)


@router.get(
    "/labels",
    response=with_errors({200: list[LabelFullOut]}),
    summary="The admin-defined labels (assistants and admins)",
)
def list_labels(request: HttpRequest) -> list[LabelFullOut]:
    require_role(principal_of(request), Role.ASSISTANT, Role.ADMIN, detail="Labels are for staff.")
    return [_label_full(label) for label in all_labels()]


def _replay_label(request: HttpRequest, resource_id: str, **_: Any) -> LabelFullOut:
    require_role(principal_of(request), Role.ADMIN, detail="Only admins define labels.")
    label = Label.objects.filter(pk=int(resource_id)).first()
    if label is None:
        raise NotFound("No such label.")
    return _label_full(label)


@router.post("/labels", response=with_errors({201: LabelFullOut}), summary="Add a label (admins)")
@idempotent(replay=_replay_label)
def create_label(request: HttpRequest, payload: LabelIn) -> Status[Any]:
    principal = principal_of(request)
    require_role(principal, Role.ADMIN, detail="Only admins define labels.")
    label = do_create_label(actor=principal.user, name_en=payload.name_en, name_ja=payload.name_ja)
    return Status(201, _label_full(label))


def _label(request: HttpRequest, label_id: int) -> tuple[Any, Label]:
    principal = principal_of(request)
    require_role(principal, Role.ADMIN, detail="Only admins define labels.")
    label = Label.objects.filter(pk=label_id).first() if 0 < label_id < 2**31 else None
    if label is None:
        raise NotFound("No such label.")
    return principal, label


@router.put(
    "/labels/{label_id}",
    response=with_errors({200: LabelFullOut}),
    summary="Rename a label (admins): errands carrying it show the new name",
)
def update_label(request: HttpRequest, label_id: int, payload: LabelIn) -> LabelFullOut:
    principal, label = _label(request, label_id)
    label = do_update_label(
        actor=principal.user, label=label, name_en=payload.name_en, name_ja=payload.name_ja
    )
    return _label_full(label)


@router.delete(
    "/labels/{label_id}",
    response=with_errors({204: None}),
    summary="Remove a label from the list and from every errand (admins)",
)
def delete_label(request: HttpRequest, label_id: int) -> Status[None]:
    principal, label = _label(request, label_id)
    do_delete_label(actor=principal.user, label=label)
    return Status(204, None)


@router.put(
    "/errands/{errand_id}/labels",
    response=with_errors({200: ErrandLabelsOut}),
    summary="Set the labels of an errand you hold (assistant), from the admin-defined list",
)
def set_errand_labels(
    request: HttpRequest, errand_id: str, payload: ErrandLabelsIn
) -> ErrandLabelsOut:
    principal = principal_of(request)
    errand = access_errand_notes(principal, errand_id)
    ids = do_set_errand_labels(actor=principal.user, errand=errand, label_ids=payload.label_ids)
    by_id = {label.pk: label for label in Label.objects.filter(pk__in=ids)}
    return ErrandLabelsOut(labels=[label_out(by_id[pk]) for pk in ids])


def _canned_out(reply: CannedReply) -> CannedOut:
    return CannedOut(id=reply.pk, title=reply.title, body_en=reply.body_en, body_ja=reply.body_ja)


@router.get(
    "/canned-replies",
    response=with_errors({200: list[CannedOut]}),
    summary="The canned replies, as written (admins)",
)
def list_canned(request: HttpRequest) -> list[CannedOut]:
    require_role(principal_of(request), Role.ADMIN, detail="Only admins manage canned replies.")
    return [_canned_out(reply) for reply in CannedReply.objects.order_by("id")]


def _replay_canned(request: HttpRequest, resource_id: str, **_: Any) -> CannedOut:
    require_role(principal_of(request), Role.ADMIN, detail="Only admins manage canned replies.")
    reply = CannedReply.objects.filter(pk=int(resource_id)).first()
    if reply is None:
        raise NotFound("No such canned reply.")
    return _canned_out(reply)


@router.post(
    "/canned-replies",
    response=with_errors({201: CannedOut}),
    summary="Add a canned reply in English and Japanese (admins); unknown placeholders → 422",
)
@idempotent(replay=_replay_canned)
def create_canned(request: HttpRequest, payload: CannedIn) -> Status[Any]:
    principal = principal_of(request)
    require_role(principal, Role.ADMIN, detail="Only admins manage canned replies.")
    reply = do_create_canned_reply(
        actor=principal.user, title=payload.title, body_en=payload.body_en, body_ja=payload.body_ja
    )
    return Status(201, _canned_out(reply))


def _canned(request: HttpRequest, reply_id: int) -> tuple[Any, CannedReply]:
    principal = principal_of(request)
    require_role(principal, Role.ADMIN, detail="Only admins manage canned replies.")
    reply = CannedReply.objects.filter(pk=reply_id).first() if 0 < reply_id < 2**31 else None
    if reply is None:
        raise NotFound("No such canned reply.")
    return principal, reply


@router.put(
    "/canned-replies/{reply_id}",
    response=with_errors({200: CannedOut}),
    summary="Rewrite a canned reply (admins); unknown placeholders → 422",
)
def update_canned(request: HttpRequest, reply_id: int, payload: CannedIn) -> CannedOut:
    principal, reply = _canned(request, reply_id)
    reply = do_update_canned_reply(
        actor=principal.user,
        reply=reply,
        title=payload.title,
        body_en=payload.body_en,
        body_ja=payload.body_ja,
    )
    return _canned_out(reply)


@router.delete(
    "/canned-replies/{reply_id}",
    response=with_errors({204: None}),
    summary="Delete a canned reply (admins)",
)
def delete_canned(request: HttpRequest, reply_id: int) -> Status[None]:
    principal, reply = _canned(request, reply_id)
    do_delete_canned_reply(actor=principal.user, reply=reply)
    return Status(204, None)


@router.get(
    "/errands/{errand_id}/canned-replies",
    response=with_errors({200: list[FilledReplyOut]}),
    summary="Canned replies filled in for this errand (its assistant), in the customer's language",
)
def filled_canned(request: HttpRequest, errand_id: str) -> list[FilledReplyOut]:
    errand = access_errand_notes(principal_of(request), errand_id)
    return [
        FilledReplyOut(id=reply.pk, title=reply.title, text=canned.fill(reply, errand))
        for reply in CannedReply.objects.order_by("id")
    ]


def _note_out(view: NoteView) -> NoteOut:
    return NoteOut(
        id=view.id, author_name=view.author_name, body=view.body, created_at=view.created_at
    )


@router.get(
    "/errands/{errand_id}/notes",
    response=with_errors({200: list[NoteOut]}),
    summary="Internal notes on the errand (its current assistant only; each read is logged)",
)
def list_notes(request: HttpRequest, errand_id: str) -> list[NoteOut]:
    principal = principal_of(request)
    errand = access_errand_notes(principal, errand_id)
    return [_note_out(view) for view in read_notes(principal, errand)]


def _replay_note(request: HttpRequest, resource_id: str, *, errand_id: str, **_: Any) -> NoteOut:
    principal = principal_of(request)
    errand = access_errand_notes(principal, errand_id)
    for view in read_notes(principal, errand, limit=10_000):
        if view.id == int(resource_id):
            return _note_out(view)
    raise NotFound("No such note.")


@router.post(
    "/errands/{errand_id}/notes",
    response=with_errors({201: NoteOut}),
    summary="Add an internal note (the errand's current assistant); sealed, never shown to others",
)
@idempotent(replay=_replay_note)
def add_note(request: HttpRequest, errand_id: str, payload: NoteIn) -> Status[Any]:
    principal = principal_of(request)
    user = principal.user
    errand = access_errand_notes(principal, errand_id)
    note: InternalNote = do_add_internal_note(actor=user, errand=errand, body=payload.body)
    out = _note_out(posted_note_view(note))
    out.notice = notice_for(
        note.cards_masked, language=user.language, fallback=request.LANGUAGE_CODE
    )
    return Status(201, out)


@router.get(
    "/errands/{errand_id}/rating",
    response=with_errors({200: RatingOut}),
    summary="Your rating of your errand, with your comment (customer; 404 until rated)",
)
def get_rating(request: HttpRequest, errand_id: str) -> RatingOut:
    principal = principal_of(request)
    view = read_rating(principal, access_errand_rating(principal, errand_id))
    if view is None:
        raise NotFound("This errand has no rating.")
    return RatingOut(
        stars=view.stars,
        comment=view.comment,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


@router.put(
    "/errands/{errand_id}/rating",
    response=with_errors({200: RatingOut}),
    summary="Rate your done errand 1–5 with an optional comment (customer); again to change it",
)
def put_rating(request: HttpRequest, errand_id: str, payload: RatingIn) -> RatingOut:
    principal = principal_of(request)
    user = principal.user
    errand = access_errand(principal, errand_id)
    rating = do_rate_errand(actor=user, errand=errand, stars=payload.stars, comment=payload.comment)
    view = read_rating(principal, errand)
    if view is None:  # pragma: no cover - just written
        raise NotFound("This errand has no rating.")
    return RatingOut(
        stars=view.stars,
        comment=view.comment,
        created_at=view.created_at,
        updated_at=view.updated_at,
        notice=notice_for(
            rating.cards_masked, language=user.language, fallback=request.LANGUAGE_CODE
        ),
    )


@router.get(
    "/ratings/averages",
    response=with_errors({200: list[AverageOut]}),
    summary=f"Average rating per assistant, for those with {MIN_RATINGS} ratings or more (admins)",
)
def averages(request: HttpRequest) -> list[AverageOut]:
    require_role(principal_of(request), Role.ADMIN, detail="Only admins see rating averages.")
    return [AverageOut(**a.__dict__) for a in rating_averages()]


@router.get(
    "/me/rating-average",
    response=with_errors({200: OwnAverageOut}),
    summary="Your own average rating (assistants), once you have enough ratings",
)
def my_average(request: HttpRequest) -> OwnAverageOut:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, detail="Only assistants are rated.")
    mine = own_average(principal.user)
    return OwnAverageOut(min_ratings=MIN_RATINGS, average=mine.average if mine else None)
