"""Money received twice for one request (found by attacking the flow): two hosted pages
both paid — a second page opened once the first was 23 hours old and could still be paid
for an hour; before, two tabs. The second payment answered `stale` and vanished from the
books: Hisho could neither show nor refund it, and the provider's refund of it was refused
as unknown. Now it is on the ledger (not on the request's totals) and refunded in full."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hisho.audit.models import AuditEvent
from hisho.payments.models import CheckoutSession, LedgerEntry, LedgerKind, SandboxSession
from hisho.payments.tasks import refund_paid_again
from tests.payments.conftest import post_webhook, reload
from tests.payments.test_dashboard_refunds import charge_refunded

pytestmark = pytest.mark.django_db


def pay(session_id: str) -> None:
    response = Client().post(f"/sandbox-pay/{session_id}/pay/")
    assert response.status_code in (302, 303), response.content[:300]


def paid_twice(checkout: dict[str, Any], api_as: Any) -> tuple[str, str]:
    """Pay the request on a second page, then on its first (the old tab): (first, second)
    session ids."""
    payment_id, first = checkout["payment"]["id"], checkout["session_id"]
    CheckoutSession.objects.filter(pk=first).update(
        created_at=timezone.now() - dt.timedelta(hours=23, minutes=30)
    )
    again = api_as("alice").post(f"/payment-requests/{payment_id}/checkout")
    second = again.json()["redirect_url"].rstrip("/").rsplit("/", 1)[-1]
    assert second != first
    pay(second)
    pay(first)  # the old tab: the provider takes the money a second time
    return first, second


def test_a_second_payment_is_booked_and_refunded_once(
    checkout: dict[str, Any], api_as: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    first, second = paid_twice(checkout, api_as)
    payment = reload(checkout["payment"])
    assert (payment.status, payment.amount_paid) == ("paid", 5000)
    booked = LedgerEntry.objects.get(payment_request=payment, kind=LedgerKind.PAID_AGAIN)
    first_intent = SandboxSession.objects.get(pk=first).payment_intent
    assert (booked.amount, booked.session_id, booked.provider_payment_id) == (
        5000,
        first,
        first_intent,
    )
    assert payment.provider_payment_id != first_intent  # the request's own payment stands
    assert AuditEvent.objects.filter(event="payment.paid_again").count() == 1
    assert DBTaskResult.objects.filter(
        task_path="hisho.payments.tasks.refund_paid_again",
        args_kwargs__args=[booked.provider_event_id],
    ).exists()

    assert refund_paid_again.call(booked.provider_event_id) is True
    assert refund_paid_again.call(booked.provider_event_id) is True  # a retry: once only
    assert SandboxSession.objects.get(pk=first).amount_refunded == 5000
    assert SandboxSession.objects.get(pk=second).amount_refunded == 0
    refunds = LedgerEntry.objects.filter(kind=LedgerKind.PAID_AGAIN_REFUNDED)
    assert [(r.amount, r.provider_payment_id) for r in refunds] == [(5000, first_intent)]
    payment = reload(checkout["payment"])
    assert (payment.status, payment.amount_paid, payment.amount_refunded) == ("paid", 5000, 0)

    # The provider reports that refund (charge.refunded of the second payment): taken.
    echo = post_webhook(charge_refunded(5000, intent=first_intent))
    assert echo.status_code == 200 and echo.json()["result"] == "paid_again_refund"
    assert reload(checkout["payment"]).amount_refunded == 0


def test_the_same_payment_reported_twice_is_not_a_second_payment(
    checkout: dict[str, Any],
) -> None:
    """A late `async_payment_succeeded` after `completed (paid)` names the same payment."""
    from tests.payments.conftest import session_event

    fields = {
        "session_id": checkout["session_id"],
        "payment_id": checkout["payment"]["id"],
        "amount": 5000,
        "intent": "pi_same",
    }
    assert post_webhook(session_event("checkout.session.completed", **fields)).status_code == 200
    late = post_webhook(session_event("checkout.session.async_payment_succeeded", **fields))
    assert late.json()["result"] == "stale"
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAID_AGAIN).exists()


def test_the_session_that_paid_reported_again_with_a_payment_id_is_not_refunded(
    checkout: dict[str, Any],
) -> None:
    """Its first report named no payment; a later one of the same session does. It is
    the same money: refunding it as a second payment would refund the only one."""
    from tests.payments.conftest import session_event

    fields = {
        "session_id": checkout["session_id"],
        "payment_id": checkout["payment"]["id"],
        "amount": 5000,
    }
    first = session_event("checkout.session.completed", **fields, intent="")
    assert post_webhook(first).json()["result"] == "applied"
    late = session_event("checkout.session.async_payment_succeeded", **fields, intent="pi_late")
    assert post_webhook(late).json()["result"] == "stale"
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAID_AGAIN).exists()


def test_a_refund_the_provider_cannot_make_is_tried_again_then_reported(
    checkout: dict[str, Any], api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a provider that was down when the job ran left the customer's second payment
    unrefunded for good: the job failed once and nothing tried again."""
    from django_tasks_db.models import DBTaskResult

    from hisho.payments.actions.webhooks import REFUND_RETRY_AFTER
    from hisho.payments.providers import ProviderError
    from hisho.payments.providers.sandbox import SandboxProvider

    first, _second = paid_twice(checkout, api_as)
    booked = LedgerEntry.objects.get(kind=LedgerKind.PAID_AGAIN)
    event_id = booked.provider_event_id

    def unreachable(self: Any, **kwargs: Any) -> str:
        raise ProviderError("unreachable")

    monkeypatch.setattr(SandboxProvider, "refund", unreachable)
    before = timezone.now()
    assert refund_paid_again.call(event_id) is False
    [retry] = DBTaskResult.objects.filter(
        task_path="hisho.payments.tasks.refund_paid_again", args_kwargs__args=[event_id, 1]
    )
    assert retry.run_after is not None and retry.run_after >= before + REFUND_RETRY_AFTER[0]
    [noted] = AuditEvent.objects.filter(event="payment.paid_again_refund_retry")
    assert (noted.extra["attempt"], noted.extra["code"]) == (1, "unreachable")
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAID_AGAIN_REFUNDED).exists()

    # The last try fails too: no further job, and the audit log says it was not refunded.
    last = len(REFUND_RETRY_AFTER)
    assert refund_paid_again.call(event_id, last) is False
    assert not DBTaskResult.objects.filter(args_kwargs__args=[event_id, last + 1]).exists()
    [failed] = AuditEvent.objects.filter(event="payment.paid_again_refund_failed")
    assert failed.extra["attempt"] == last + 1

    # The provider is back: the queued try refunds it, once.
    monkeypatch.undo()
    assert refund_paid_again.call(event_id, 1) is True
    assert refund_paid_again.call(event_id, 2) is True
    assert SandboxSession.objects.get(pk=first).amount_refunded == 5000
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAID_AGAIN_REFUNDED).count() == 1


@pytest.mark.parametrize("how", ["cancelled", "erased"])
def test_a_page_left_open_and_paid_after_the_errand_ended_is_refunded(
    checkout: dict[str, Any], api_as: Any, demo: Any, how: str
) -> None:
    """A new checkout on a cancelled errand is refused (409), but the hosted page the
    customer opened before cancelling — or before erasing their account, which cancels
    the errand and unlinks the request — could still be paid, and the request became
    `paid`: money taken for nothing owed, from someone Hisho may no longer know."""
    alice = api_as("alice")
    if how == "cancelled":
        cancelled = alice.post(f"/errands/{demo.alice_errand.pk}/status", {"status": "cancelled"})
        assert cancelled.status_code == 200, cancelled.content
    else:
        assert alice.delete("/me").status_code == 200
    pay(checkout["session_id"])  # the tab left open

    payment = reload(checkout["payment"])
    assert (payment.status, payment.amount_paid) == ("open", 0)
    booked = LedgerEntry.objects.get(payment_request=payment, kind=LedgerKind.PAID_AGAIN)
    assert booked.amount == 5000
    assert AuditEvent.objects.filter(event="payment.paid_after_cancel").count() == 1
    assert refund_paid_again.call(booked.provider_event_id) is True
    assert SandboxSession.objects.get(pk=checkout["session_id"]).amount_refunded == 5000
