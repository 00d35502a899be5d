"""Every write of outreach (house rule 1): campaigns, their send, unsubscribes, survey
answers and suppressed addresses. Audit events carry ids, enum values and counts only.

How a send survives a crash without anyone getting a copy twice (docs/outreach.md):
`do_start_campaign` fixes the recipients (one `Delivery` each, `pending`) and starts
attempt N. Each copy is first marked `handing_over` (attempt N, committed — a conditional
update, so two workers never take the same copy), then handed to the processor and
marked `sent` in one transaction with its disclosure record. A crash can leave at most
the copy in hand `handing_over`, its hand-over unknown: the next attempt
(`do_start_campaign` again) marks it `unconfirmed` — recorded as disclosed, never sent
again — and goes on with the pending ones.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal
from hisho.audit.actions import record_event
from hisho.dlp import redact_for_triage
from hisho.errors import Conflict, InvalidInput, NotFound
from hisho.inbound import scrub
from hisho.outreach.audience import address_digest, audience, is_suppressed
from hisho.outreach.mail import UNSUBSCRIBE, copy_for
from hisho.outreach.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Suppression,
    SurveyAnswer,
)
from hisho.outreach.questions import clean_answer, clean_questions
from hisho.privacy.actions import do_record_disclosure, do_set_consent
from hisho.privacy.consents import has_consent
from hisho.privacy.models import ConsentHow
from hisho.privacy.recipients import recipient
from hisho.signing.tokens import BadToken, read_token

SUBJECT_MAX = 200
BODY_MAX = 20_000
ADMINS_ONLY = "Only admins write and send newsletters and surveys."
LINK_NOT_FOUND = "This link is not valid."
DATA_SENT = ["email", "language"]


def require_outreach_admin(principal: Principal) -> None:
    require_role(principal, Role.ADMIN, detail=ADMINS_ONLY)


@transaction.atomic
def do_create_campaign(
    *,
    actor: Principal,
    kind: str,
    subject: dict[str, str],
    body: dict[str, str],
    questions: list[Any] | None,
) -> Campaign:
    require_outreach_admin(actor)
    if kind not in CampaignKind.values:
        raise InvalidInput("kind", "One of newsletter, survey.")
    texts = {}
    for field, value, limit in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX)):
        for lang in ("en", "ja"):
            texts[f"{field}_{lang}"] = scrub(
                f"{field}.{lang}", value[lang], max_length=limit, required=True
            ).text
    if kind == CampaignKind.SURVEY:
        cleaned = clean_questions(questions)
    elif questions:
        raise InvalidInput("questions", "Only a survey has questions.")
    else:
        cleaned = []
    campaign = Campaign.objects.create(kind=kind, questions=cleaned, created_by=actor.user, **texts)
    record_event(
        "outreach.campaign_created",
        actor=actor.user,
        target=campaign,
        extra={"kind": kind, "questions": len(cleaned)},
    )
    return campaign


@transaction.atomic
def do_start_campaign(*, actor: Principal | None, campaign: Campaign) -> Campaign:
    """Send a draft (fixing its recipients), or resume a send that stopped: a new attempt
    whose first batch settles what the interrupted one left handing over. `actor` None:
    the operator's own code (the benchmark), not a request."""
    from hisho.outreach.tasks import send_campaign_batch

    if actor is not None:
        require_outreach_admin(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.SENT:
        raise Conflict("This campaign was sent already.")
    first = campaign.status == CampaignStatus.DRAFT
    if first:
        ids = audience(campaign.purpose)
        Delivery.objects.bulk_create(
            [Delivery(campaign=campaign, person_id=pk, seq=i) for i, pk in enumerate(ids)],
            batch_size=1000,
        )
        campaign.status = CampaignStatus.SENDING
        campaign.send_started_at = timezone.now()
    campaign.attempt += 1
    campaign.save(update_fields=["status", "send_started_at", "attempt"])
    record_event(
        "outreach.campaign_started" if first else "outreach.campaign_resumed",
        actor=actor.user if actor is not None else None,
        target=campaign,
        extra={"attempt": campaign.attempt, "recipients": campaign.deliveries.count()},
    )
    campaign_id, attempt = str(campaign.pk), campaign.attempt
    transaction.on_commit(lambda: send_campaign_batch.enqueue(campaign_id, attempt), robust=True)
    return campaign


@transaction.atomic
def do_settle_interrupted(*, campaign: Campaign) -> int:
    """Copies an earlier attempt was handing over when it stopped: perhaps handed over,
    so never sent again — and recorded as disclosed (the person sees they may have been)."""
    stale = list(
        Delivery.objects.select_for_update()
        .filter(
            campaign=campaign,
            status=DeliveryStatus.HANDING_OVER,
            attempt__lt=campaign.attempt,
        )
        .select_related("person")
    )
    for delivery in stale:
        do_record_disclosure(
            subject=delivery.person,
            recipient=campaign.processor,
            purpose=campaign.purpose,
            data=DATA_SENT,
            reference=f"outreach:{delivery.pk}",
        )
    Delivery.objects.filter(pk__in=[d.pk for d in stale]).update(
        status=DeliveryStatus.UNCONFIRMED, at=timezone.now()
    )
    if stale:
        record_event(
            "outreach.interrupted_settled",
            actor=None,
            target=campaign,
            extra={"unconfirmed": len(stale), "attempt": campaign.attempt},
        )
    return len(stale)


def next_batch(*, campaign: Campaign, attempt: int, size: int) -> list[Delivery]:
    """Read-only: the next `size` pending copies, if this attempt is still the current one."""
    current = Campaign.objects.filter(pk=campaign.pk).values_list("status", "attempt").first()
    if current != (CampaignStatus.SENDING, attempt):
        return []
    return list(
        Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.PENDING)
        .select_related("person")
        .order_by("seq")[:size]
    )


@transaction.atomic
def do_begin_handover(*, delivery: Delivery, attempt: int) -> bool:
    """Take one pending copy for this attempt (committed before it is handed over).
    False if another worker took it, or it is no longer pending."""
    return (
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.HANDING_OVER, attempt=attempt
        )
        == 1
    )


@transaction.atomic
def do_deliver(*, campaign: Campaign, delivery: Delivery, connection: Any) -> str:
    """Hand one copy taken by do_begin_handover to the campaign's declared processor —
    if the person is still active, consenting and not suppressed — and record it, in
    one transaction."""
    person: User = delivery.person
    status = DeliveryStatus.SENT
    if (
        not person.is_active
        or not person.email
        or not has_consent(person, campaign.purpose)
        or is_suppressed(person.email)
    ):
        status = DeliveryStatus.SKIPPED
    else:
        copy = copy_for(campaign, delivery, person.language)
        recipient(campaign.processor).send_mail(
            subject=person,
            to=[person.email],
            purpose=campaign.purpose,
            data=DATA_SENT,
            reference=f"outreach:{delivery.pk}",
            title=copy.title,
            body=copy.body,
            headers=copy.headers,
            connection=connection,
        )
    Delivery.objects.filter(pk=delivery.pk).update(status=status, at=timezone.now())
    return status


@transaction.atomic
def do_mark_failed(*, delivery: Delivery) -> None:
    """The relay refused the copy (e.g. the address does not exist): not retried."""
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.HANDING_OVER).update(
        status=DeliveryStatus.FAILED, at=timezone.now()
    )


@transaction.atomic
def do_finish_campaign(*, campaign: Campaign, attempt: int) -> bool:
    current = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if current.status != CampaignStatus.SENDING or current.attempt != attempt:
        return False
    if current.deliveries.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.HANDING_OVER]
    ).exists():
        return False
    current.status = CampaignStatus.SENT
    current.finished_at = timezone.now()
    current.save(update_fields=["status", "finished_at"])
    record_event(
        "outreach.campaign_sent",
        actor=None,
        target=current,
        extra={"sent": current.deliveries.filter(status=DeliveryStatus.SENT).count()},
    )
    return True


def delivery_for(kind: str, token: str) -> Delivery | None:
    """The delivery a link names: NotFound for a forged or malformed link; None for a
    genuine link whose copy no longer exists (its person erased their account)."""
    try:
        pk = read_token(kind, token)
    except BadToken:
        raise NotFound(LINK_NOT_FOUND) from None
    return Delivery.objects.select_related("campaign", "person").filter(pk=pk).first()


@transaction.atomic
def do_unsubscribe(*, token: str) -> bool:
    """One-click unsubscribe (RFC 8058) from the copy a link names: withdraws the
    person's consent to that kind of message — the processor is asked to delete the
    address. No sign-in: the signed link is the proof. True if consent was withdrawn."""
    delivery = delivery_for(UNSUBSCRIBE, token)
    if delivery is None or not delivery.person.is_active:
        return False  # nobody left to unsubscribe: the answer is the same
    record = do_set_consent(
        actor=delivery.person,
        purpose=delivery.campaign.purpose,
        granted=False,
        how=ConsentHow.UNSUBSCRIBE,
    )
    record_event(
        "outreach.unsubscribed",
        actor=delivery.person,
        target=delivery.campaign,
        extra={"withdrawn": record is not None},
    )
    return record is not None


@transaction.atomic
def do_answer_survey(*, actor: Principal, delivery: Delivery, answers: list[Any]) -> int:
    """The invited person answers (once). Answers are stored against the campaign only;
    free text is DLP-redacted of every kind of personal data first. `delivery` comes
    from an access helper (hisho.outreach.access.access_invitation)."""
    delivery = Delivery.objects.select_for_update().select_related("campaign").get(pk=delivery.pk)
    if delivery.person_id != actor.pk:
        raise NotFound("No such survey invitation.")
    if delivery.answered:
        raise Conflict("You answered this survey already.")
    questions = delivery.campaign.questions
    if not isinstance(answers, list) or not 1 <= len(answers) <= len(questions):
        raise InvalidInput("answers", "Answer between one and every question.")
    cleaned = [clean_answer(questions, answer, i) for i, answer in enumerate(answers)]
    if len({a["question"] for a in cleaned}) != len(cleaned):
        raise InvalidInput("answers", "Answer each question at most once.")
    SurveyAnswer.objects.bulk_create(
        [
            SurveyAnswer(
                campaign=delivery.campaign,
                question=a["question"],
                choice=a.get("choice"),
                value=a.get("value"),
                text=redact_for_triage(a.get("text", "")),
            )
            for a in cleaned
        ]
    )
    Delivery.objects.filter(pk=delivery.pk).update(answered=True)
    # No actor: the admins who read the results also read the audit log, and an entry
    # "person N answered at 10:02" beside results read at 10:01 and 10:03 would tie N to
    # the answers that changed between them. The answers are the campaign's, not N's.
    record_event(
        "outreach.survey_answered",
        actor=None,
        target=delivery.campaign,
        extra={"answers": len(cleaned)},
    )
    return len(cleaned)


@transaction.atomic
def do_suppress_address(*, processor: str, address: str, reason: str) -> bool:
    """A processor reports a hard bounce or a complaint: nothing more goes to the address.
    True if it was not suppressed before."""
    _, created = Suppression.objects.get_or_create(
        address_digest=address_digest(address), defaults={"reason": reason}
    )
    record_event(
        "outreach.address_suppressed",
        actor=None,
        extra={"processor": processor, "reason": reason, "new": created},
    )
    return created
