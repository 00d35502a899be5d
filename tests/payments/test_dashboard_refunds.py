"""Refunds made in the provider's dashboard (`charge.refunded`) are applied: Hisho records
the part of the charge's cumulative `amount_refunded` it did not know of, once; the echo
of a refund Hisho made itself, a replay and an older total change nothing; a total above
what was paid, another currency or an unknown PaymentIntent are refused with 400."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from hisho.audit.models import AuditEvent
from hisho.payments.models import LedgerEntry, LedgerKind
from tests.payments.conftest import post_webhook, reload, session_event, with_field

pytestmark = pytest.mark.django_db

INTENT = "pi_dashboard_1"


def charge_refunded(
    refunded: int, *, event_id: str | None = None, intent: str = INTENT, currency: str = "jpy"
) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_{time.monotonic_ns()}",
            "object": "event",
            "type": "charge.refunded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": "ch_dashboard_1",
                    "object": "charge",
                    "amount": 5000,
                    "amount_refunded": refunded,
                    "currency": currency,
                    "payment_intent": intent,
                    "refunded": refunded >= 5000,
                }
            },
        }
    ).encode()


@pytest.fixture
def paid(checkout: dict[str, Any]) -> dict[str, Any]:
    body = session_event(
        "checkout.session.completed",
        session_id=checkout["session_id"],
        payment_id=checkout["payment"]["id"],
        amount=5000,
        intent=INTENT,
    )
    assert post_webhook(body).json()["result"] == "applied"
    assert reload(checkout["payment"]).status == "paid"
    return checkout["payment"]


def refunds(payment: dict[str, Any]) -> list[int]:
    return list(
        LedgerEntry.objects.filter(payment_request_id=payment["id"], kind=LedgerKind.REFUNDED)
        .order_by("at", "pk")
        .values_list("amount", flat=True)
    )


def test_a_dashboard_refund_is_applied_once(paid: dict[str, Any]) -> None:
    body = charge_refunded(2000, event_id="evt_refund_once")
    answer = post_webhook(body)
    assert answer.status_code == 200 and answer.json()["result"] == "applied"
    payment = reload(paid)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 2000)
    assert refunds(paid) == [2000]
    assert AuditEvent.objects.filter(event="payment.refunded", actor_id=None).count() == 1

    assert post_webhook(body).json()["result"] == "duplicate"
    assert post_webhook(charge_refunded(2000)).json()["result"] == "stale"  # same total again
    assert post_webhook(charge_refunded(1000)).json()["result"] == "stale"  # an older total
    assert refunds(paid) == [2000]

    assert post_webhook(charge_refunded(5000)).json()["result"] == "applied"
    payment = reload(paid)
    assert (payment.status, payment.amount_refunded) == ("refunded", 5000)
    assert refunds(paid) == [2000, 3000]


def test_the_echo_of_a_refund_made_in_hisho_changes_nothing(
    checkout: dict[str, Any], api_as: Any
) -> None:
    # Paid on the sandbox's hosted page, so the sandbox knows the PaymentIntent to refund.
    client = Client()
    assert client.get(f"/sandbox-pay/{checkout['session_id']}/").status_code == 200
    client.post(f"/sandbox-pay/{checkout['session_id']}/pay/")
    paid = checkout["payment"]
    intent = reload(paid).provider_payment_id
    assert intent
    answer = api_as("kenji").post(f"/payment-requests/{paid['id']}/refund", {"amount": 1500})
    assert answer.status_code == 200, answer.content
    assert refunds(paid) == [1500]
    echo = post_webhook(charge_refunded(1500, intent=intent))
    assert echo.status_code == 200 and echo.json()["result"] == "stale"
    payment = reload(paid)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 1500)
    assert refunds(paid) == [1500]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (lambda: charge_refunded(6000), "amount_mismatch"),
        (lambda: charge_refunded(1000, currency="usd"), "amount_mismatch"),
        (lambda: charge_refunded(1000, intent="pi_someone_else"), "unknown_request"),
        (
            lambda: json.dumps(
                {"id": "evt_bad", "type": "charge.refunded", "data": {"object": {}}}
            ).encode(),
            "malformed",
        ),
    ],
)
def test_refund_events_that_do_not_match_are_refused(
    paid: dict[str, Any], body: Any, reason: str
) -> None:
    answer = post_webhook(body())
    assert answer.status_code == 400
    assert reload(paid).amount_refunded == 0 and refunds(paid) == []
    assert AuditEvent.objects.filter(
        event="payment.webhook_rejected", extra__reason=reason
    ).exists()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("id", {"x": 1}),
        ("data.object", ["charge"]),
        ("data.object.amount_refunded", "2000"),
        ("data.object.amount_refunded", 2000.0),
        ("data.object.amount_refunded", True),
        ("data.object.currency", ["jpy"]),
        ("data.object.payment_intent", {"id": INTENT}),
        ("data.object.payment_intent", [INTENT]),
    ],
)
def test_refund_events_with_fields_of_the_wrong_type_are_refused(
    paid: dict[str, Any], path: str, value: Any
) -> None:
    answer = post_webhook(with_field(charge_refunded(2000), path, value))
    assert answer.status_code == 400, answer.content
    assert reload(paid).amount_refunded == 0 and refunds(paid) == []


def test_a_refund_before_payment_changes_nothing(checkout: dict[str, Any]) -> None:
    # The request is open (never paid): no PaymentIntent is known, so nothing matches.
    answer = post_webhook(charge_refunded(1000))
    assert answer.status_code == 400
    assert reload(checkout["payment"]).amount_refunded == 0
