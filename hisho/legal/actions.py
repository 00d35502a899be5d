"""Every step of a legal disclosure (house rule 1), each audited by id:

open (admin) → approve (a *second* admin; issues the grant) or reject (with a reason)
→ export (one of the case's two admins, while the grant lasts: a signed bundle of exactly
the scope) → notice to the person, at once or when a documented deferral expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal
from hisho.audit.actions import record_event
from hisho.errors import Conflict, Forbidden, InvalidInput
from hisho.inbound import scrub
from hisho.legal.access import require_admin
from hisho.legal.grants import DisclosureReader, grant_is_active
from hisho.legal.models import (
    CaseStatus,
    Category,
    DisclosureCase,
    DisclosureGrant,
    DisclosureRead,
)

AUTHORITY_MAX = 200
LEGAL_BASIS_MAX = 500
REFERENCE_MAX = 100
REASON_MAX = 2000


def _text(field: str, value: Any, max_length: int) -> str:
    # Inbound text passes DLP like every other (house rule 4): a card number typed into
    # a case never reaches the database or the signed bundle.
    return scrub(
        field, value if isinstance(value, str) else "", max_length=max_length, required=True
    ).text


def _categories(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput("categories", "Choose at least one of: profile, errands, messages.")
    chosen = set()
    for item in value:
        if item not in Category.values:
            raise InvalidInput("categories", "Choose among: profile, errands, messages.")
        chosen.add(item)
    return [c for c in Category.values if c in chosen]


def _within_bundle_range(field: str, day: dt.date) -> None:
    # The export turns the period into moments (hisho.legal.bundle.period_bounds): a day
    # outside these has none, and the case could never produce its bundle.
    from hisho.legal.bundle import FIRST_DAY, LAST_DAY

    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            field,
            f"The period must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.",
        )


@transaction.atomic
def do_open_case(
    *,
    actor: User,
    authority: str,
    legal_basis: str,
    reference: str,
    person_id: int,
    categories: list[str],
    period_start: dt.date,
    period_end: dt.date,
    deadline: dt.date,
) -> DisclosureCase:
    require_admin(actor)
    authority = _text("authority", authority, AUTHORITY_MAX)
    legal_basis = _text("legal_basis", legal_basis, LEGAL_BASIS_MAX)
    reference = _text("reference", reference, REFERENCE_MAX)
    chosen = _categories(categories)
    if period_end < period_start:
        raise InvalidInput("period_end", "The period ends before it starts.")
    _within_bundle_range("period_start", period_start)
    _within_bundle_range("period_end", period_end)
    person = User.objects.filter(pk=person_id, role=Role.CUSTOMER).first()
    if person is None:
        raise InvalidInput("person_id", "No customer has this id.")
    now = timezone.now()
    case = DisclosureCase.objects.create(
        authority=authority,
        legal_basis=legal_basis,
        reference=reference,
        deadline=deadline,
        person=person,
        categories=chosen,
        period_start=period_start,
        period_end=period_end,
        opened_by=actor,
        opened_at=now,
    )
    record_event(
        "legal.case_opened",
        actor=actor,
        target=case,
        extra={"person_id": person.pk, "categories": ",".join(chosen)},
    )
    return case


def _lock(case: DisclosureCase) -> DisclosureCase:
    return DisclosureCase.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def do_approve_case(*, actor: User, case: DisclosureCase) -> DisclosureCase:
    """The second pair of eyes: an admin other than the opener. Issues the case's grant."""
    require_admin(actor)
    case = _lock(case)
    if case.opened_by_id == actor.pk:
        raise Forbidden("A second admin must approve: the opener cannot approve their own case.")
    if case.status != CaseStatus.OPEN:
        raise Conflict(f"A {case.status} case cannot be approved.")
    if case.person_id is None:
        raise Conflict("The person of this case no longer exists.")
    now = timezone.now()
    case.status = CaseStatus.APPROVED
    case.decided_by = actor
    case.decided_at = now
    case.save(update_fields=["status", "decided_by", "decided_at"])
    grant = DisclosureGrant.objects.create(
        case=case,
        issued_at=now,
        expires_at=now + dt.timedelta(hours=settings.HISHO_LEGAL_GRANT_HOURS),
    )
    record_event(
        "legal.case_approved", actor=actor, target=case, extra={"person_id": case.person_id}
    )
    record_event(
        "legal.grant_issued",
        actor=actor,
        target=case,
        extra={
            "grant_id": grant.pk,
            "person_id": case.person_id,
            "hours": settings.HISHO_LEGAL_GRANT_HOURS,
        },
    )
    return case


@transaction.atomic
def do_reject_case(*, actor: User, case: DisclosureCase, reason: str) -> DisclosureCase:
    """Any admin, the opener included (withdrawing), while the case is still open."""
    require_admin(actor)
    reason = _text("reason", reason, REASON_MAX)
    case = _lock(case)
    if case.status != CaseStatus.OPEN:
        raise Conflict(f"A {case.status} case cannot be rejected.")
    case.status = CaseStatus.REJECTED
    case.decided_by = actor
    case.decided_at = timezone.now()
    case.rejection_reason = reason
    case.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    record_event(
        "legal.case_rejected", actor=actor, target=case, extra={"person_id": case.person_id}
    )
    return case


@transaction.atomic
def do_defer_notice(
    *, actor: User, case: DisclosureCase, until: dt.datetime, reason: str
) -> DisclosureCase:
    """Document why the person is not told yet, and until when (at most
    HISHO_LEGAL_MAX_DEFERRAL_DAYS after the case was opened, however often it is deferred).
    When it expires the notice goes out by itself."""
    require_admin(actor)
    reason = _text("reason", reason, REASON_MAX)
    if timezone.is_naive(until):
        raise InvalidInput("until", "Give a time zone with the date and time.")
    now = timezone.now()
    if until <= now:
        raise InvalidInput("until", "A deferral ends in the future.")
    if until > now + dt.timedelta(days=settings.HISHO_LEGAL_MAX_DEFERRAL_DAYS):
        raise InvalidInput("until", f"At most {settings.HISHO_LEGAL_MAX_DEFERRAL_DAYS} days ahead.")
    case = _lock(case)
    # The bound counts from the case's opening, not from each deferral: measured from now,
    # one admin could defer again before every expiry and keep the person from ever being
    # told (and the disclosure's reads withheld from their access log) for good.
    if until > case.opened_at + dt.timedelta(days=settings.HISHO_LEGAL_MAX_DEFERRAL_DAYS):
        raise InvalidInput(
            "until",
            f"At most {settings.HISHO_LEGAL_MAX_DEFERRAL_DAYS} days after the case was opened.",
        )
    if case.status == CaseStatus.REJECTED:
        raise Conflict("A rejected case discloses nothing: there is no notice to defer.")
    if case.notified_at is not None:
        raise Conflict("The person has already been told.")
    case.notify_after = until
    case.deferral_reason = reason
    case.deferred_by = actor
    case.deferred_at = now
    case.save(update_fields=["notify_after", "deferral_reason", "deferred_by", "deferred_at"])
    record_event(
        "legal.notice_deferred",
        actor=actor,
        target=case,
        extra={"person_id": case.person_id, "until": until.date().isoformat()},
    )
    return case


@transaction.atomic
def do_record_disclosure_read(*, reader: DisclosureReader, entry: Any) -> DisclosureRead:
    """The vault unsealed data under a grant and wrote `entry` to the person's access log:
    link it to the case (withheld until notice) and audit the unseal."""
    read = DisclosureRead.objects.create(case_id=reader.case_id, access_entry=entry)
    record_event(
        "legal.data_unsealed",
        actor=reader.user,
        target=read.case,
        extra={
            "person_id": entry.customer_id,
            "errand_id": entry.errand_id,
            "action": str(entry.action),
        },
    )
    return read


@transaction.atomic
def do_export_case(*, principal: Principal, case: DisclosureCase) -> dict[str, Any]:
    """The signed bundle of exactly the case's scope. Only an approved case, only one of
    its two admins (with a passed second factor: the vault asks), only while its grant
    lasts. Returns the signed document; Hisho keeps only its SHA-256."""
    from hisho.legal.bundle import build_payload
    from hisho.signing.canonical import canonical_json
    from hisho.signing.service import sign_document

    actor = principal.user
    require_admin(actor)
    principal.require_cleared()
    case = _lock(case)
    if case.status not in (CaseStatus.APPROVED, CaseStatus.DISCLOSED):
        raise Conflict("Only an approved case can produce the export.")
    if actor.pk not in (case.opened_by_id, case.decided_by_id):
        raise Forbidden("Only the two admins of this case can produce its export.")
    grant = DisclosureGrant.objects.select_related("case").filter(case=case).first()
    if grant is None or not grant_is_active(grant):
        raise Conflict("The grant of this case has expired; a new case must be approved.")
    reader = DisclosureReader(grant, principal)
    payload = build_payload(reader, case)
    document = sign_document(payload)
    now = timezone.now()
    case.status = CaseStatus.DISCLOSED
    case.exported_at = case.exported_at or now
    case.export_count += 1
    case.bundle_sha256 = hashlib.sha256(canonical_json(document)).hexdigest()
    case.disclosed_kinds = sorted(set(case.disclosed_kinds) | set(payload["scope"]["data_kinds"]))
    case.save(
        update_fields=[
            "status",
            "exported_at",
            "export_count",
            "bundle_sha256",
            "disclosed_kinds",
        ]
    )
    data = payload["data"]
    record_event(
        "legal.bundle_exported",
        actor=actor,
        target=case,
        extra={
            "person_id": case.person_id,
            "errands": len(data.get("errands", [])),
            "messages": len(data.get("messages", [])),
            "profile": "profile" in data,
            "reads": reader.reads,
            "key_id": document["signature"]["key_id"],
        },
    )
    # Told at once unless deferred (hisho.legal.notices; the command sweeps what is missed).
    from hisho.legal.notices import send_due_notices

    transaction.on_commit(send_due_notices)
    return document


@transaction.atomic
def do_send_notice(*, case_id: uuid.UUID, now: dt.datetime) -> bool:
    """Tell the person of one due disclosure (hisho/legal/notices.py sends every due
    one): by e-mail through the declared processor, recorded on their "My data"."""

    from hisho.legal.notices import due_cases, notice_text
    from hisho.notify.mail import email_person
    from hisho.privacy.recipients import recipient

    case = due_cases(now).select_for_update(skip_locked=True).filter(pk=case_id).first()
    if case is None:
        return False  # sent meanwhile, or another run holds it
    person = case.person
    delivered = False
    if person is not None and case.disclosed_kinds:
        # What the authority received joins the person's record of disclosures ("My data")
        # now that they may know: the bundle itself was handed over at export.
        recipient("authorities").disclose(
            subject=person,
            purpose="legal_obligations",
            data=list(case.disclosed_kinds),
            reference=f"legal_case:{case.pk}",
            deliver=lambda: None,
        )
    if person is not None and person.is_active and person.email:
        email_person(person, reference=f"legal_notice:{case.pk}", compose=lambda: notice_text(case))
        delivered = True
    case.notified_at = now
    case.save(update_fields=["notified_at"])
    record_event(
        "legal.notice_sent",
        actor=None,
        target=case,
        extra={
            "person_id": case.person_id,
            "delivered": delivered,
            "was_deferred": case.notify_after is not None,
        },
    )
    return True
