"""The Stripe adapter, driven by the official library against a stand-in of the Stripe
API on loopback (HISHO_STRIPE_API_BASE), with webhooks signed by Stripe's scheme under
the endpoint's whsec_ secret and verified by stripe.Webhook.construct_event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from hisho.payments.models import PaymentRequest
from hisho.privacy.models import Disclosure
from tests.payments.conftest import post_webhook, session_event
from tests.payments.stripe_standin import SECRET_KEY, StripeStandIn

pytestmark = pytest.mark.django_db
WHSEC = "whsec_test_hisho"


@pytest.fixture
def stripe_api() -> Iterator[StripeStandIn]:
    standin = StripeStandIn()
    with override_settings(
        HISHO_PAYMENT_PROVIDERS=["stripe"],
        HISHO_STRIPE_SECRET_KEY=SECRET_KEY,
        HISHO_STRIPE_WEBHOOK_SECRET=WHSEC,
        HISHO_STRIPE_API_BASE=standin.url,
    ):
        yield standin
    standin.close()


def make_request(api_as: Any, demo: Any, amount: int = 8000) -> Any:
    return api_as("kenji").post(
        f"/errands/{demo.alice_errand.pk}/payment-requests",
        {"amount": amount, "currency": "JPY", "description": "Concert tickets for Saturday"},
    )


def test_checkout_webhook_refund_through_stripe(
    stripe_api: StripeStandIn, api_as: Any, demo: Any
) -> None:
    created = make_request(api_as, demo).json()
    assert created["provider"] == "stripe"
    response = api_as("alice").post(f"/payment-requests/{created['id']}/checkout")
    assert response.status_code == 200, response.content
    url = response.json()["redirect_url"]
    assert url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [call] = stripe_api.requests
    form = call["form"]
    # The minimum: amount, currency, Hisho's id — no description, no name, no e-mail.
    assert form["line_items[0][price_data][unit_amount]"] == "8000"
    assert form["client_reference_id"] == created["id"]
    assert "Concert" not in str(form) and "alice" not in str(form)
    assert call["headers"]["Idempotency-Key"] == f"hisho-checkout-{created['id']}-1"
    disclosure = Disclosure.objects.get(subject=demo.people["alice"], recipient="payment_provider")
    assert disclosure.data == ["payments"]

    session_id = url.rsplit("/", 1)[-1]
    intent = stripe_api.pay(session_id)
    body = session_event(
        "checkout.session.completed",
        session_id=session_id,
        payment_id=created["id"],
        amount=8000,
        intent=intent,
    )
    assert post_webhook(body, provider="stripe", secret="whsec_wrong").status_code == 400
    assert post_webhook(body, provider="stripe", secret=WHSEC).status_code == 200
    payment = PaymentRequest.objects.get(pk=created["id"])
    assert (payment.status, payment.provider_payment_id) == ("paid", intent)
    # The sandbox's endpoint does not take Stripe's events (another secret, not enabled).
    assert post_webhook(body, provider="sandbox", secret=WHSEC).status_code == 404

    refund = api_as("kenji").post(f"/payment-requests/{created['id']}/refund", {"amount": 3000})
    assert refund.status_code == 200 and refund.json()["status"] == "partially_refunded"
    assert stripe_api.intents[intent]["refunded"] == 3000
    assert stripe_api.requests[-1]["form"] == {"payment_intent": intent, "amount": "3000"}


def test_the_provider_refusing_a_refund_changes_nothing(
    stripe_api: StripeStandIn, api_as: Any, demo: Any
) -> None:
    created = make_request(api_as, demo).json()
    url = api_as("alice").post(f"/payment-requests/{created['id']}/checkout").json()["redirect_url"]
    session_id = url.rsplit("/", 1)[-1]
    stripe_api.pay(session_id)
    # Paid per Hisho, but the intent Hisho names is not one Stripe knows: refused.
    body = session_event(
        "checkout.session.completed",
        session_id=session_id,
        payment_id=created["id"],
        amount=8000,
        intent="pi_test_unknown",
    )
    assert post_webhook(body, provider="stripe", secret=WHSEC).status_code == 200
    response = api_as("admin").post(f"/payment-requests/{created['id']}/refund", {})
    assert response.status_code == 503
    assert PaymentRequest.objects.get(pk=created["id"]).amount_refunded == 0


def test_stripe_minimum_amount_is_checked_before_anything_is_sent(
    stripe_api: StripeStandIn, api_as: Any, demo: Any
) -> None:
    assert make_request(api_as, demo, amount=49).status_code == 422
    assert stripe_api.requests == []


def test_an_unreachable_provider_is_503_and_changes_nothing(api_as: Any, demo: Any) -> None:
    standin = StripeStandIn()
    base = standin.url
    standin.close()  # nothing listens there any more
    with override_settings(
        HISHO_PAYMENT_PROVIDERS=["stripe"],
        HISHO_STRIPE_SECRET_KEY=SECRET_KEY,
        HISHO_STRIPE_WEBHOOK_SECRET=WHSEC,
        HISHO_STRIPE_API_BASE=base,
    ):
        created = make_request(api_as, demo).json()
        response = api_as("alice").post(f"/payment-requests/{created['id']}/checkout")
    assert response.status_code == 503
    payment = PaymentRequest.objects.get(pk=created["id"])
    assert payment.sessions.count() == 0 and payment.ledger.count() == 1
