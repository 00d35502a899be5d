"""Internal notes and rating comments: sealing them, and the only ways to read them.

Both are sealed under the errand's data key (so shredding the customer's key shreds them)
and read only through the vault's `unseal`. Who may read is narrower than the vault's
errand rule (owner and current assignee), and is checked here before the vault is asked:

- internal notes: the current, accepted assignee — not the customer in the service, not
  admins, not earlier assignees (404); the customer gets them in their export. The
  assignee's reads are written to the customer's access log ("read_notes");
- a rating's comment: the customer alone (the assistant sees neither it nor single
  ratings; admins see averages from MIN_RATINGS ratings up).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal, as_principal
from hisho.desk.access import access_errand, is_participant
from hisho.desk.content import errand_scope
from hisho.desk.models import Errand, InternalNote, Rating, RatingAverage
from hisho.errors import NotFound
from hisho.vault.models import AccessAction
from hisho.vault.sealing import Place, seal, unseal

NOTE_MAX = 4000
RATING_COMMENT_MAX = 1000
# Averages are shown from this many ratings up: fewer would point at single customers.
MIN_RATINGS = 5

NOTE_TABLE = InternalNote._meta.db_table
RATING_TABLE = Rating._meta.db_table


@dataclass(frozen=True)
class NoteView:
    id: int
    author_name: str
    body: str
    created_at: dt.datetime
    intact: bool = True


@dataclass(frozen=True)
class RatingView:
    stars: int
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime
    intact: bool = True


def note_place(seal_id: uuid.UUID) -> Place:
    return Place(NOTE_TABLE, str(seal_id), "body")


def rating_place(errand_id: uuid.UUID) -> Place:
    return Place(RATING_TABLE, str(errand_id), "comment")


def seal_note(errand: Errand, seal_id: uuid.UUID, body: str) -> bytes:
    sealed = seal(errand_scope(errand), note_place(seal_id), body)
    if sealed is None:
        raise ValueError("a note has a body")
    return sealed


def seal_rating_comment(errand: Errand, comment: str) -> bytes | None:
    return seal(errand_scope(errand), rating_place(errand.pk), comment)


def is_current_assignee(principal: Principal, errand: Errand) -> bool:
    return (
        is_participant(principal, errand)
        and principal.role == Role.ASSISTANT
        and errand.assignee_id == principal.pk
    )


def access_errand_notes(principal: Principal, errand_id: object) -> Errand:
    """The errand, for its current assignee only (everyone else: 404)."""
    principal = as_principal(principal)
    errand = access_errand(principal, errand_id)
    if not is_current_assignee(principal, errand):
        raise NotFound("No such errand.")
    return errand


def access_errand_rating(principal: Principal, errand_id: object) -> Errand:
    """The errand, for its customer only (everyone else: 404)."""
    principal = as_principal(principal)
    errand = access_errand(principal, errand_id)
    if errand.customer_id != principal.pk or principal.role != Role.CUSTOMER:
        raise NotFound("No such errand.")
    return errand


def _note_view(note: InternalNote, body: str, *, intact: bool) -> NoteView:
    author = note.author
    return NoteView(
        id=note.pk,
        author_name=author.display_name if author else "Former user",
        body=body,
        created_at=note.created_at,
        intact=intact,
    )


def posted_note_view(note: InternalNote) -> NoteView:
    if note.posted_body is None:
        raise ValueError("posted_note_view is for a just-added note; use read_notes")
    return _note_view(note, note.posted_body, intact=True)


def read_notes(principal: Principal, errand: Errand, *, limit: int = 200) -> list[NoteView]:
    """The notes, oldest first: for the current assignee, or the customer's export."""
    owner = errand.customer_id == principal.pk and principal.role == Role.CUSTOMER
    if not owner and not is_current_assignee(principal, errand):
        raise NotFound("No such errand.")
    notes = list(
        InternalNote.objects.filter(errand=errand).select_related("author").order_by("id")[:limit]
    )
    bodies = unseal(
        principal,
        errand_scope(errand),
        [(note_place(n.seal_id), n.sealed_body) for n in notes],
        action=AccessAction.READ_NOTES,
    )
    return [_note_view(n, b.shown() or "", intact=b.ok) for n, b in zip(notes, bodies, strict=True)]


def read_rating(principal: Principal, errand: Errand) -> RatingView | None:
    """The customer's rating of their errand with its comment — for that customer only."""
    if errand.customer_id != principal.pk or principal.role != Role.CUSTOMER:
        raise NotFound("No such errand.")
    rating = Rating.objects.filter(errand=errand).first()
    if rating is None:
        return None
    (comment,) = unseal(
        principal,
        errand_scope(errand),
        [(rating_place(errand.pk), rating.sealed_comment)],
        action=None,  # the owner's own read: not logged
    )
    return RatingView(
        stars=rating.stars,
        comment=comment.shown() or "",
        created_at=rating.created_at,
        updated_at=rating.updated_at,
        intact=comment.ok,
    )


@dataclass(frozen=True)
class Average:
    assistant_id: int
    name: str
    ratings: int
    average: float


def _shown(average: RatingAverage | None) -> tuple[int, float] | None:
    """(count, average) of the assistant's last snapshot (RatingAverage), None below
    MIN_RATINGS. An exact running average gives each new rating away to anyone who
    compares two readings — (5, 3.8) then (6, 3.33): the sixth was one star — and a live
    one each changed rating (the average moved by the stars taken back); the snapshot is
    taken again only once MIN_RATINGS ratings have been given or changed."""
    if average is None or average.ratings < MIN_RATINGS:
        return None
    return average.ratings, round(average.total_stars / average.ratings, 2)


def rating_averages() -> list[Average]:
    """Each assistant's average stars at their last snapshot (for admins; callers check
    the role). One query."""
    averages = RatingAverage.objects.filter(ratings__gte=MIN_RATINGS).select_related("assistant")
    shown = [(average, _shown(average)) for average in averages.order_by("assistant_id")]
    return [
        Average(average.assistant_id, average.assistant.display_name, *block)
        for average, block in shown
        if block is not None
    ]


def own_average(user: User) -> Average | None:
    """An assistant's own average at their last snapshot (else None)."""
    block = _shown(RatingAverage.objects.filter(assistant=user).first())
    return None if block is None else Average(user.pk, user.display_name, *block)
