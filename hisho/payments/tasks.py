"""Jobs of the payments app (django-tasks, ids only)."""

from __future__ import annotations

from django_tasks import task

from hisho.payments.actions.webhooks import do_refund_paid_again, do_retry_paid_again_refund
from hisho.payments.providers import ProviderError


@task()
def refund_paid_again(event_id: str, attempt: int = 0) -> bool:
    """Refund the second payment a webhook reported (LedgerKind.PAID_AGAIN). True once
    refunded (now or before); when the provider cannot, the next try is queued
    (`REFUND_RETRY_AFTER`) and this one ends False."""
    try:
        return do_refund_paid_again(actor=None, event_id=event_id)
    except ProviderError as error:
        do_retry_paid_again_refund(event_id=event_id, attempt=attempt, code=error.code)
        return False
