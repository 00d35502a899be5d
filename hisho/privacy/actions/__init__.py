"""Every write of the privacy center (house rule 1): consents, cookie choices, policy
versions and acknowledgements, disclosures, exports, contact requests. Erasure is in
hisho.privacy.actions.erasure, connection records and their retention in
hisho.privacy.actions.retention.

Audit events carry ids, keys of policy.yaml and counts only.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal
from hisho.audit.actions import record_event
from hisho.errors import Conflict, InvalidInput, NotFound
from hisho.inbound import carries_card, scrub
from hisho.privacy.actions.confirmation import (
    ask_processors_to_forget,
    request_confirmation,
    withdraw_confirmations,
)
from hisho.privacy.consents import answered, latest_version, version_in_force_number
from hisho.privacy.cookies import BROWSER_PURPOSES
from hisho.privacy.models import (
    AcknowledgedHow,
    ConsentHow,
    ConsentRecord,
    ContactRequest,
    ContactTopic,
    Disclosure,
    PolicyAcknowledgement,
    PolicyVersion,
)
from hisho.privacy.policy import Policy, current_policy

CHANGES_MAX = 5_000
CONTACT_MAX = 5_000
CONSENT_NOT_FOUND = "No such consent purpose."


# --- consents -----------------------------------------------------------------------------


@transaction.atomic
def do_set_consent(*, actor: User, purpose: str, granted: bool, how: str) -> ConsentRecord | None:
    """Grant or withdraw one purpose. Withdrawing takes the same single step as granting.
    Returns the new record, or None when the answer already stood (nothing to record) or
    when a grant waits for the person to confirm it by e-mail (double opt-in, `confirm:
    email` in policy.yaml: hisho.privacy.actions.confirmation)."""
    policy = current_policy()
    declared = policy.consent_purpose(purpose)
    if declared is None:
        raise NotFound(CONSENT_NOT_FOUND)
    if how not in ConsentHow.values:
        raise ValueError("unknown way of giving consent")
    if not granted:
        withdraw_confirmations(actor=actor, purpose=purpose)
    if answered(actor, purpose, policy) is granted:
        return None
    if granted and declared.confirm_by_email and how != ConsentHow.EMAIL_LINK:
        request_confirmation(actor=actor, purpose=purpose, policy=policy)
        return None
    record = ConsentRecord.objects.create(
        user=actor,
        purpose=purpose,
        granted=granted,
        policy_version=version_in_force_number(),
        how=how,
        fingerprint=policy.purpose_fingerprint(purpose),
    )
    record_event(
        "privacy.consent_changed",
        actor=actor,
        target=actor,
        extra={"purpose": purpose, "granted": granted, "how": how},
    )
    if not granted:
        ask_processors_to_forget(actor=actor, purpose=purpose)
    return record


@transaction.atomic
def do_record_cookie_choice(*, actor: User, accept: bool, how: str) -> int:
    """A signed-in person answered the cookie question: their answer for every browser
    purpose (the cookie itself is set by the view). Returns how many answers changed."""
    changed = 0
    for purpose in BROWSER_PURPOSES:
        if do_set_consent(actor=actor, purpose=purpose, granted=accept, how=how) is not None:
            changed += 1
    return changed


@transaction.atomic
def do_honour_gpc(*, actor: User) -> int:
    """The person's browser sends Sec-GPC: 1 — withdraw every consent they had given."""
    withdrawn = 0
    for purpose in current_policy().consent_purposes:
        if answered(actor, purpose.key) is True:
            do_set_consent(actor=actor, purpose=purpose.key, granted=False, how=ConsentHow.GPC)
            withdrawn += 1
    return withdrawn


# --- policy versions ----------------------------------------------------------------------


def renewed_purposes(previous: Policy | None, policy: Policy) -> list[str]:
    """Consent purposes a new version adds or changes: earlier answers do not carry over."""
    renewed = []
    for purpose in policy.consent_purposes:
        if (
            previous is None
            or purpose.key not in previous.purposes
            or previous.purpose_fingerprint(purpose.key) != policy.purpose_fingerprint(purpose.key)
        ):
            renewed.append(purpose.key)
    return renewed


@transaction.atomic
def do_publish_policy_version(*, actor: User, changes_en: str, changes_ja: str) -> PolicyVersion:
    """Publish policy.yaml as it stands as the next version, saying what changed in both
    languages. Everyone is e-mailed; signed-in people see a notice until they read it."""
    require_role(actor, Role.ADMIN, detail="Only admins can publish the privacy policy.")
    changes_en = scrub("changes_en", changes_en, max_length=CHANGES_MAX, required=True).text
    changes_ja = scrub("changes_ja", changes_ja, max_length=CHANGES_MAX, required=True).text
    # Versions are numbered one after another: lock the newest while adding the next.
    latest = PolicyVersion.objects.select_for_update().order_by("-number").first()
    policy = current_policy()
    if latest is not None and latest.digest == policy.digest:
        raise Conflict(f"policy.yaml has not changed since version {latest.number}.")
    previous = Policy.from_document(latest.document) if latest is not None else None
    version = PolicyVersion.objects.create(
        number=(latest.number + 1) if latest is not None else 1,
        published_by=actor,
        changes_en=changes_en,
        changes_ja=changes_ja,
        document=policy.document,
        digest=policy.digest,
        renewed_purposes=renewed_purposes(previous, policy),
    )
    record_event(
        "privacy.policy_published",
        actor=actor,
        target=version,
        extra={"number": version.number, "renewed_purposes": len(version.renewed_purposes)},
    )
    from hisho.privacy.tasks import send_policy_notices

    send_policy_notices.enqueue(version.number)
    return version


@transaction.atomic
def do_acknowledge_policy(*, actor: User, number: int, how: str) -> PolicyAcknowledgement:
    """The person has read version `number` (the newest one; older ones are not asked)."""
    latest = latest_version()
    if latest is None or not PolicyVersion.objects.filter(number=number).exists():
        raise NotFound("No such policy version.")
    if latest.number != number:
        raise Conflict(f"Version {latest.number} is the one in force; acknowledge that one.")
    if how not in AcknowledgedHow.values:
        raise ValueError("unknown way of acknowledging")
    acknowledgement, created = PolicyAcknowledgement.objects.get_or_create(
        user=actor, version=latest, defaults={"how": how}
    )
    if created:
        record_event(
            "privacy.policy_acknowledged",
            actor=actor,
            target=latest,
            extra={"number": latest.number, "how": how},
        )
    return acknowledgement


# --- disclosures and exports ------------------------------------------------------------------


@transaction.atomic
def do_record_disclosure(
    *, subject: User, recipient: str, purpose: str, data: list[str], reference: str
) -> Disclosure:
    """Called by hisho.privacy.recipients only, in the transaction that delivers."""
    disclosure = Disclosure.objects.create(
        subject=subject, recipient=recipient, purpose=purpose, data=data, reference=reference
    )
    record_event(
        "privacy.disclosed",
        actor=None,
        target=subject,
        extra={"recipient": recipient, "purpose": purpose, "disclosure_id": disclosure.pk},
    )
    return disclosure


@transaction.atomic
def do_export_my_data(*, principal: Principal) -> dict[str, Any]:
    """Everything Hisho holds about the caller, as one signed document (docs/privacy.md)."""
    from hisho.privacy.export import export_payload
    from hisho.privacy.signatures import sign

    actor = principal.user
    if not actor.is_active:
        raise NotFound("No such person.")
    payload = export_payload(principal)
    document = sign(payload)
    record_event(
        "privacy.exported",
        actor=actor,
        target=actor,
        extra={"export_id": uuid.UUID(payload["export_id"]), "errands": len(payload["errands"])},
    )
    return document


# --- the privacy contact --------------------------------------------------------------------


@transaction.atomic
def do_send_contact_message(
    *, actor: User | None, topic: str, reply_to: str | None, message: str
) -> ContactRequest:
    """Deliver a message to the privacy contact (DLP first: card numbers are masked).
    Signed-in people are answered at their account's address; visitors give one."""
    if topic not in ContactTopic.values:
        raise InvalidInput("topic", "Choose a topic.")
    scrubbed = scrub("message", message, max_length=CONTACT_MAX, required=True)
    signed_in = actor is not None and actor.is_authenticated and actor.is_active
    address = actor.email if signed_in and actor is not None else (reply_to or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput("reply_to", "An e-mail address we can answer you at.") from None
    if not signed_in and carries_card(address):
        # Mailed as the Reply-To, where masking would make it useless (POLICY K9).
        raise InvalidInput("reply_to", "This address contains a card number. Use another.")
    request = ContactRequest.objects.create(
        user=actor if signed_in else None, topic=topic, cards_masked=scrubbed.cards_masked
    )
    from hisho.privacy.recipients import recipient

    recipient("privacy_team").send_mail(
        subject=actor if signed_in else None,
        to=[settings.HISHO_PRIVACY_CONTACT_EMAIL],
        purpose="privacy_requests",
        data=["email", "contact_messages"],
        reference=f"contact:{request.pk}",
        title=f"[Hisho privacy] {topic} {request.pk}",
        body=scrubbed.text,
        reply_to=[address],
    )
    record_event(
        "privacy.contact_sent",
        actor=actor if signed_in else None,
        target=request,
        extra={"topic": topic, "cards_masked": scrubbed.cards_masked},
    )
    return request
