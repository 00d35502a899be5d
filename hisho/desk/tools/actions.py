"""Every change to labels, canned replies, internal notes and ratings (house rule 1).

Each action checks its actor, passes text through DLP (`hisho.inbound.scrub`) before it is
stored, writes, and records its audit event in the same transaction.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import Count, Sum

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.desk.models import (
    CannedReply,
    Errand,
    ErrandLabel,
    InternalNote,
    Label,
    Rating,
    RatingAverage,
    Status,
)
from hisho.desk.tools import canned
from hisho.desk.tools.sealed import (
    MIN_RATINGS,
    NOTE_MAX,
    RATING_COMMENT_MAX,
    seal_note,
    seal_rating_comment,
)
from hisho.errors import Conflict, InvalidInput, NotFound
from hisho.inbound import scrub

LABEL_NAME_MAX = 40
LABELS_PER_ERRAND = 10


@transaction.atomic
def do_create_label(*, actor: User, name_en: str, name_ja: str) -> Label:
    require_role(actor, Role.ADMIN, detail="Only admins define labels.")
    en = scrub("name_en", name_en, max_length=LABEL_NAME_MAX, required=True)
    ja = scrub("name_ja", name_ja, max_length=LABEL_NAME_MAX, required=True)
    label = Label.objects.create(name_en=en.text, name_ja=ja.text)
    record_event(
        "label.created",
        actor=actor,
        target=label,
        extra={"cards_masked": en.cards_masked + ja.cards_masked},
    )
    return label


@transaction.atomic
def do_update_label(*, actor: User, label: Label, name_en: str, name_ja: str) -> Label:
    """Rename a label (admins): every errand carrying it shows the new name."""
    require_role(actor, Role.ADMIN, detail="Only admins define labels.")
    en = scrub("name_en", name_en, max_length=LABEL_NAME_MAX, required=True)
    ja = scrub("name_ja", name_ja, max_length=LABEL_NAME_MAX, required=True)
    label = Label.objects.select_for_update().get(pk=label.pk)
    label.name_en, label.name_ja = en.text, ja.text
    label.save(update_fields=["name_en", "name_ja"])
    record_event(
        "label.renamed",
        actor=actor,
        target=label,
        extra={"cards_masked": en.cards_masked + ja.cards_masked},
    )
    return label


@transaction.atomic
def do_delete_label(*, actor: User, label: Label) -> int:
    """Remove a label from the list (admins) and from every errand that carried it.
    Returns how many errands lost it."""
    require_role(actor, Role.ADMIN, detail="Only admins define labels.")
    carried = ErrandLabel.objects.filter(label_id=label.pk).count()
    label_id = label.pk
    Label.objects.filter(pk=label_id).delete()  # its errand links go with it (CASCADE)
    record_event("label.deleted", actor=actor, extra={"label_id": label_id, "errands": carried})
    return carried


def _held_by(actor: User, errand: Errand) -> Errand:
    """The errand, locked, if `actor` is its current, accepted assistant (else 404)."""
    errand = Errand.objects.select_for_update().select_related("customer").get(pk=errand.pk)
    if (
        not actor.is_active
        or actor.role != Role.ASSISTANT
        or errand.assignee_id != actor.pk
        or not errand.assignee_accepted
    ):
        raise NotFound("No such errand.")
    return errand


@transaction.atomic
def do_set_errand_labels(*, actor: User, errand: Errand, label_ids: list[int]) -> list[int]:
    """Replace the labels of an errand the actor holds with those named (ids from the
    admin-defined list only). Returns the ids now set, in list order."""
    errand = _held_by(actor, errand)
    wanted = sorted(set(label_ids))
    if len(wanted) > LABELS_PER_ERRAND:
        raise InvalidInput("label_ids", f"At most {LABELS_PER_ERRAND} labels.")
    known = set(Label.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if known != set(wanted):
        raise InvalidInput("label_ids", "No label has one of these ids.")
    current = set(ErrandLabel.objects.filter(errand=errand).values_list("label_id", flat=True))
    if current == known:
        return wanted
    ErrandLabel.objects.filter(errand=errand).exclude(label_id__in=wanted).delete()
    ErrandLabel.objects.bulk_create(
        [ErrandLabel(errand=errand, label_id=pk) for pk in wanted if pk not in current]
    )
    record_event(
        "errand.labelled",
        actor=actor,
        target=errand,
        extra={"labels": ",".join(str(pk) for pk in wanted)},
    )
    return wanted


@transaction.atomic
def do_create_canned_reply(*, actor: User, title: str, body_en: str, body_ja: str) -> CannedReply:
    require_role(actor, Role.ADMIN, detail="Only admins write canned replies.")
    clean_title = scrub("title", title, max_length=canned.TITLE_MAX, required=True)
    en = scrub("body_en", body_en, max_length=canned.BODY_MAX, required=True)
    ja = scrub("body_ja", body_ja, max_length=canned.BODY_MAX, required=True)
    canned.check_template("body_en", en.text)
    canned.check_template("body_ja", ja.text)
    reply = CannedReply.objects.create(title=clean_title.text, body_en=en.text, body_ja=ja.text)
    masked = clean_title.cards_masked + en.cards_masked + ja.cards_masked
    record_event("canned_reply.created", actor=actor, target=reply, extra={"cards_masked": masked})
    return reply


@transaction.atomic
def do_update_canned_reply(
    *, actor: User, reply: CannedReply, title: str, body_en: str, body_ja: str
) -> CannedReply:
    """Rewrite a canned reply (admins), checked as a new one is."""
    require_role(actor, Role.ADMIN, detail="Only admins write canned replies.")
    clean_title = scrub("title", title, max_length=canned.TITLE_MAX, required=True)
    en = scrub("body_en", body_en, max_length=canned.BODY_MAX, required=True)
    ja = scrub("body_ja", body_ja, max_length=canned.BODY_MAX, required=True)
    canned.check_template("body_en", en.text)
    canned.check_template("body_ja", ja.text)
    reply = CannedReply.objects.select_for_update().get(pk=reply.pk)
    reply.title, reply.body_en, reply.body_ja = clean_title.text, en.text, ja.text
    reply.save(update_fields=["title", "body_en", "body_ja"])
    masked = clean_title.cards_masked + en.cards_masked + ja.cards_masked
    record_event("canned_reply.changed", actor=actor, target=reply, extra={"cards_masked": masked})
    return reply


@transaction.atomic
def do_delete_canned_reply(*, actor: User, reply: CannedReply) -> None:
    require_role(actor, Role.ADMIN, detail="Only admins write canned replies.")
    reply_id = reply.pk
    CannedReply.objects.filter(pk=reply_id).delete()
    record_event("canned_reply.deleted", actor=actor, extra={"canned_reply_id": reply_id})


@transaction.atomic
def do_add_internal_note(*, actor: User, errand: Errand, body: str) -> InternalNote:
    """A note by the current assignee, sealed under the errand's key."""
    errand = _held_by(actor, errand)
    text = scrub("body", body, max_length=NOTE_MAX, required=True)
    seal_id = uuid.uuid4()
    note = InternalNote.objects.create(
        errand=errand,
        author=actor,
        seal_id=seal_id,
        sealed_body=seal_note(errand, seal_id, text.text),
    )
    note.posted_body = text.text
    note.cards_masked = text.cards_masked
    record_event(
        "errand.note_added",
        actor=actor,
        target=note,
        extra={"errand_id": errand.pk, "cards_masked": text.cards_masked},
    )
    return note


def _count_rating(assistant_id: int) -> None:
    """One rating given or changed for this assistant: their shown average (a snapshot)
    is taken again once MIN_RATINGS of these are in, so that no single rating — new or
    changed — can be read off the difference between two readings."""
    average, _ = RatingAverage.objects.select_for_update().get_or_create(assistant_id=assistant_id)
    average.pending += 1
    if average.pending >= MIN_RATINGS:
        now = Rating.objects.filter(assistant_id=assistant_id).aggregate(
            ratings=Count("pk"), total=Sum("stars")
        )
        average.ratings, average.total_stars = now["ratings"], now["total"] or 0
        average.pending = 0
    average.save(update_fields=["ratings", "total_stars", "pending"])


@transaction.atomic
def do_rate_errand(*, actor: User, errand: Errand, stars: int, comment: str = "") -> Rating:
    """The customer rates their done errand 1–5, with an optional comment (sealed, for
    them alone). One rating per errand: rating again replaces it."""
    errand = Errand.objects.select_for_update().get(pk=errand.pk)
    if errand.customer_id != actor.pk or actor.role != Role.CUSTOMER or not actor.is_active:
        raise NotFound("No such errand.")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput("stars", "A whole number from 1 to 5.")
    text = scrub("comment", comment or "", max_length=RATING_COMMENT_MAX)
    if errand.status != Status.DONE:
        raise Conflict("Only a done errand can be rated.")
    sealed = seal_rating_comment(errand, text.text)
    rating = Rating.objects.filter(errand=errand).first()
    if rating is None:
        rating = Rating.objects.create(
            errand=errand, assistant_id=errand.assignee_id, stars=stars, sealed_comment=sealed
        )
        event = "errand.rated"
        changed = {rating.assistant_id}
    else:
        changed = {rating.assistant_id, errand.assignee_id}
        rating.stars = stars
        rating.sealed_comment = sealed
        rating.assistant_id = errand.assignee_id
        rating.save(update_fields=["stars", "sealed_comment", "assistant", "updated_at"])
        event = "errand.rating_changed"
    for assistant_id in sorted(a for a in changed if a is not None):
        _count_rating(assistant_id)
    rating.cards_masked = text.cards_masked
    record_event(
        event,
        actor=actor,
        target=errand,
        # Not the stars: the log is read by admins, and a single rating is the customer's
        # alone (docs/desk.md).
        extra={"cards_masked": text.cards_masked},
    )
    return rating
