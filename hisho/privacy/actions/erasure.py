"""Erasing an account (POLICY K8), in one transaction — all of it happens or none of it:

1. open errands are cancelled (each audited like any cancellation) and their assistants
   are told by e-mail, once the erasure has committed (a task, ids only);
2. every session and app token ends (hisho.accounts.actions.end_all_sessions);
3. the customer's key is destroyed (hisho.vault crypto-shredding): nothing ever sealed
   for them — here or in any backup — opens again;
4. rows are deleted (errands and their messages, consents, acknowledgements,
   disclosures, connection records, e-mail addresses, sessions, keys, access log) or
   de-identified (contact requests keep only that one was made);
5. the audit log keeps its entries, but the person's id leaves them: only a pseudonym
   that nothing links to anyone any more stays (hisho.audit.actions.do_erase_audit_subject);
6. the account row itself is deleted.

The caller proves who they are first (the view or endpoint asks for re-authentication)
and gets a signed receipt listing what was erased. Hisho keeps no copy of the receipt.
"""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from hisho.accounts.access import require_role
from hisho.accounts.actions import end_all_sessions
from hisho.accounts.models import Role, User
from hisho.attachments.actions import do_erase_customer_attachments
from hisho.audit.actions import do_erase_audit_subject, record_event
from hisho.backups.actions.ledger import do_ledger_erasure
from hisho.desk.actions import do_change_status
from hisho.desk.models import OPEN_STATUSES, Errand, Message, Status
from hisho.errors import Conflict
from hisho.payments.actions import do_unlink_customer_payments
from hisho.privacy.actions.confirmation import ask_processors_to_forget
from hisho.privacy.export import iso
from hisho.privacy.models import (
    ConnectionRecord,
    ConsentRecord,
    ContactRequest,
    Disclosure,
    PolicyAcknowledgement,
)
from hisho.privacy.policy import current_policy
from hisho.privacy.signatures import sign
from hisho.push.actions import do_erase_push_subscriptions
from hisho.vault.access import visible_entries
from hisho.vault.actions import do_shred_customer_key

RECEIPT_TYPE = "hisho.erasure_receipt"
RECEIPT_VERSION = 1


def _cancel_open_errands(user: User) -> list[tuple[int | None, uuid.UUID]]:
    """Cancel each open errand; return (its assistant's id or None, errand id) for each."""
    cancelled = []
    for errand in Errand.objects.filter(customer=user, status__in=OPEN_STATUSES).order_by("pk"):
        assignee_id = errand.assignee_id
        do_change_status(actor=user, errand=errand, status=Status.CANCELLED)
        cancelled.append((assignee_id, errand.pk))
    return cancelled


def _delete(queryset: Any) -> int:
    deleted, _ = queryset.delete()
    return int(deleted)


@transaction.atomic
def do_erase_account(*, actor: User) -> dict[str, Any]:
    """Erase the acting customer's account now; returns the signed erasure receipt."""
    from hisho.privacy.tasks import tell_assistant_errand_cancelled

    require_role(
        actor,
        Role.CUSTOMER,
        detail="Only customers can erase their own account; staff accounts are closed by an admin.",
    )
    user = User.objects.select_for_update().filter(pk=actor.pk).first()
    if user is None:  # a second erasure sent at once: the first holds the receipt
        raise Conflict("This account has been erased already.")
    person_id = user.pk
    erased_at = timezone.now()

    cancelled = _cancel_open_errands(user)
    profile_fields = [
        field
        for field, value in (
            ("name", user.name),
            ("phone", user.sealed_phone),
            ("mailing_address", user.sealed_mailing_address),
            ("country", user.country),
            ("language", user.language),
            ("birth_year", user.birth_year),
            ("time_zone", user.time_zone),
        )
        if value not in (None, "")
    ]
    # Before the sessions end: each push subscription follows its sign-in and would go
    # with it, uncounted.
    push_subscriptions = do_erase_push_subscriptions(actor=user, person=user)
    counts = {
        "sessions_ended": end_all_sessions(user),
        "data_keys_destroyed": do_shred_customer_key(actor=user, customer=user),
        "errands_cancelled": len(cancelled),
        "messages": Message.objects.filter(errand__customer=user).count(),
        "errands": Errand.objects.filter(customer=user).count(),
        "access_log_entries": visible_entries(user.pk).count(),
        "email_addresses": EmailAddress.objects.filter(user=user).count(),
    }
    # Payments keep the legal minimum, unlinked from the person (docs/payments.md).
    counts["payments_unlinked"] = do_unlink_customer_payments(actor=user, customer=user)
    # Attached files: rows now, the sealed files once this commits (already unreadable).
    counts["attachments"] = do_erase_customer_attachments(actor=user, customer=user)
    _delete(Errand.objects.filter(customer=user))  # their messages go with them
    # Processors that received the address for newsletters or surveys are asked to delete
    # it (recorded like any disclosure, then erased with the rest).
    counts["processor_deletion_requests"] = sum(
        ask_processors_to_forget(actor=user, purpose=purpose.key)
        for purpose in current_policy().consent_purposes
    )
    counts["consent_records"] = _delete(ConsentRecord.objects.filter(user=user))
    counts["policy_acknowledgements"] = _delete(PolicyAcknowledgement.objects.filter(user=user))
    counts["disclosure_records"] = _delete(Disclosure.objects.filter(subject=user))
    counts["connection_records"] = _delete(ConnectionRecord.objects.filter(user=user))
    counts["push_subscriptions"] = push_subscriptions
    counts["contact_requests_deidentified"] = ContactRequest.objects.filter(user=user).update(
        user=None
    )
    for assistant_id, errand_id in cancelled:
        if assistant_id is not None:
            tell_assistant_errand_cancelled.enqueue(assistant_id, str(errand_id))

    record_event("privacy.account_erased", actor=user, target=user, extra=dict(counts))
    # The last event naming the person: from here on the log knows only a pseudonym.
    pseudonym = do_erase_audit_subject(actor=user, person_id=person_id)
    try:
        with transaction.atomic():
            User.objects.filter(pk=person_id).delete()
        # The caller's copy names nobody any more (what Model.delete() does to an instance):
        # nothing later in this request links a record to the erased id.
        actor.pk = None
    except ProtectedError:
        # Something still must keep the account (e.g. a record under a legal hold):
        # nothing is erased, and the person is told to contact the privacy contact.
        raise Conflict(
            "This account cannot be erased automatically. Please write to the privacy contact."
        ) from None
    # Outside the database too, so a restored backup never brings the person back.
    do_ledger_erasure(actor=None, person_id=person_id, pseudonym=pseudonym)

    return sign(
        {
            "type": RECEIPT_TYPE,
            "v": RECEIPT_VERSION,
            "receipt_id": str(uuid.uuid4()),
            "erased_at": iso(erased_at),
            "account_id": person_id,
            "audit_pseudonym": pseudonym,
            "erased": {**counts, "profile_fields": profile_fields},
            "kept": [
                {
                    "what": "audit_log_entries",
                    "how": "pseudonymised: your id was removed and the pseudonym's key destroyed",
                },
                {
                    "what": "payments",
                    "how": "amount, currency, status, dates and the provider's ids, "
                    "no longer linked to you, for as long as tax law requires",
                },
                {
                    "what": "contact_requests",
                    "how": "that a message was sent, without the message or who sent it",
                },
                {
                    # Never linked to anyone (docs/outreach.md), so they cannot be found to
                    # be deleted: the person is told, here and before they erase.
                    "what": "survey_answers",
                    "how": "never linked to you, so they cannot be found: free text keeps "
                    "what you wrote, less phone numbers, e-mail addresses, card numbers "
                    "and My Numbers",
                },
            ],
        }
    )
