"""Background work of the privacy center, on Django's Tasks API (django-tasks with its
database backend; `hisho db_worker` runs it — `make worker`).

Arguments are ids only (the task table is declared not personal in the registry).

- `enforce_retention`: the retention job (`apply_retention`: connection data, retry
  records, payments past their period, orphaned attachment files). It runs once a day: each
  run enqueues the next one (`ensure_retention_scheduled`), and `hisho privacy-retention
  --schedule` starts the chain (idempotent: never two pending runs).
- `send_policy_notices`: e-mails everyone about a newly published policy version.
- `send_consent_confirmation`: the double opt-in link for newsletters and surveys.
- `tell_assistant_errand_cancelled`: an erased customer's open errand was cancelled.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, task

from hisho.accounts.models import User
from hisho.idempotency.actions import do_expire_idempotency_records
from hisho.notify.mail import email_person
from hisho.privacy.actions.retention import do_enforce_connection_retention
from hisho.privacy.models import ConsentConfirmation, Disclosure, PolicyVersion
from hisho.privacy.policy import current_policy

RETENTION_EVERY = dt.timedelta(days=1)


def apply_retention() -> dict[str, int]:
    """Everything the daily retention run deletes or shortens, once (the job, and
    `hisho privacy-retention` at the command line). Each step is idempotent."""
    report = do_enforce_connection_retention()
    # Idempotency-Key records (policy.yaml: retention.idempotency; issue 14).
    expired = do_expire_idempotency_records()
    # Payments of erased customers, once the tax-law period ends (retention.payments).
    from hisho.payments.actions.requests import do_delete_expired_payments

    payments = do_delete_expired_payments()
    # Sealed files left without their row (hisho/attachments/actions.py).
    from hisho.attachments.actions import do_delete_orphaned_files

    orphaned = do_delete_orphaned_files()
    # Sessions ended by signing out or by time, with their IP address and browser
    # (retention.session).
    from hisho.accounts.actions import do_purge_ended_sessions

    sessions = do_purge_ended_sessions()
    return {
        "truncated": report.truncated,
        "deleted": report.deleted,
        "retry_records": expired,
        "payments": payments,
        "orphaned_files": orphaned,
        "ended_sessions": sessions,
    }


@task()
def enforce_retention() -> dict[str, int]:
    try:
        return apply_retention()
    finally:
        # Each run queues the next: a run that fails must not end the daily chain, or no
        # connection data would be shortened or deleted again until someone notices.
        ensure_retention_scheduled()


def ensure_retention_scheduled(now: dt.datetime | None = None) -> bool:
    """Enqueue the next retention run unless one is pending. True if one was enqueued.
    Needs a backend that runs tasks later (the database backend does)."""
    backend = enforce_retention.get_backend()
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    pending = DBTaskResult.objects.filter(
        task_path=enforce_retention.module_path, status=TaskResultStatus.READY
    )
    if pending.exists():
        return False
    run_after = (now or timezone.now()) + RETENTION_EVERY
    enforce_retention.using(run_after=run_after).enqueue()
    return True


def site_url(path: str) -> str:
    return f"{settings.HISHO_PUBLIC_URL.rstrip('/')}{path}"


@task()
def send_policy_notices(number: int) -> int:
    """E-mail every active person about version `number`, each in their language.
    Safe to run again: whoever already has this notice is skipped."""
    version = PolicyVersion.objects.filter(number=number).first()
    if version is None:
        return 0
    reference = f"policy_version:{number}"
    already = set(
        Disclosure.objects.filter(reference=reference).values_list("subject_id", flat=True)
    )
    sent = 0
    people = User.objects.filter(is_active=True).exclude(email="").order_by("pk")
    for person in people.iterator(chunk_size=500):
        if person.pk in already:
            continue
        email_person(person, reference=reference, compose=_policy_notice(version, person))
        sent += 1
    return sent


def _policy_notice(version: PolicyVersion, person: User) -> Callable[[], tuple[str, str]]:
    def compose() -> tuple[str, str]:
        title = _("Hisho's privacy policy has changed (version %(number)s)") % {
            "number": version.number
        }
        body = "\n\n".join(
            [
                _("What changed:"),
                version.changes(person.language),
                _("Read the whole policy: %(url)s") % {"url": site_url(reverse("privacy"))},
                _("Anything new that needs your consent stays off until you say yes."),
            ]
        )
        return title, body

    return compose


@task()
def send_consent_confirmation(confirmation_id: str) -> bool:
    """E-mail the double opt-in link for a pending consent, in the person's language."""
    from hisho.privacy.actions.confirmation import CONFIRM_FOR, confirmation_token

    confirmation = (
        ConsentConfirmation.objects.select_related("user")
        .filter(pk=uuid.UUID(confirmation_id), confirmed_at__isnull=True, void=False)
        .first()
    )
    if confirmation is None or not confirmation.user.is_active:
        return False
    person = confirmation.user
    purpose = current_policy().purposes[confirmation.purpose]
    link = site_url(reverse("privacy_confirm", args=[confirmation_token(confirmation)]))

    def compose() -> tuple[str, str]:
        title = _("Please confirm: %(purpose)s from Hisho") % {
            "purpose": purpose.title(person.language)
        }
        body = "\n\n".join(
            [
                _("You asked to receive this from Hisho: %(purpose)s.")
                % {"purpose": purpose.title(person.language)},
                _(
                    "Nothing is sent until you confirm. To confirm, open this link "
                    "within %(days)s days:"
                )
                % {"days": CONFIRM_FOR.days},
                link,
                _("If you did not ask for this, ignore this e-mail: nothing will be sent."),
            ]
        )
        return title, body

    email_person(person, reference=f"consent_confirmation:{confirmation.pk}", compose=compose)
    return True


@task()
def tell_assistant_errand_cancelled(assistant_id: int, errand_id: str) -> bool:
    """An errand the assistant was handling was cancelled because its customer erased
    their account. The e-mail names the errand by id only."""
    assistant = User.objects.filter(pk=assistant_id, is_active=True).first()
    if assistant is None or not assistant.email:
        return False
    errand = uuid.UUID(errand_id)

    def compose() -> tuple[str, str]:
        title = _("An errand you were handling was cancelled")
        body = _(
            "Errand %(errand)s was cancelled: its customer erased their account, and "
            "everything they wrote was erased with it. There is nothing more to do."
        ) % {"errand": errand}
        return title, body

    email_person(assistant, reference=f"errand:{errand}", compose=compose)
    return True
