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


def test_a_second_payment_is_booked_and_refunded_once(
    checkout: dict[str, Any], api_as: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    payment_id, first = checkout["payment"]["id"], checkout["session_id"]
    CheckoutSession.objects.filter(pk=first).update(
        created_at=timezone.now() - dt.timedelta(hours=23, minutes=30)
    )
    again = api_as("alice").post(f"/payment-requests/{payment_id}/checkout")
    second = again.json()["redirect_url"].rstrip("/").rsplit("/", 1)[-1]
    assert second != first

    pay(second)
    pay(first)  # the old tab: the provider takes the money a second time
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
