"""Jobs of the payments app (django-tasks, ids only)."""

from __future__ import annotations

from django_tasks import task

from hisho.payments.actions.webhooks import do_refund_paid_again


@task()
def refund_paid_again(event_id: str) -> bool:
    """Refund the second payment a webhook reported (LedgerKind.PAID_AGAIN). True once
    refunded (now or before)."""
    return do_refund_paid_again(actor=None, event_id=event_id)
