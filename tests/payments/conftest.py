"""Shared helpers for the payment tests: a payment request on alice's errand (kenji's),
and webhooks signed the way Stripe signs them — computed here from Stripe's documented
scheme, independently of Hisho's own sandbox code."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.test import Client

from hisho.demo import Demo
from hisho.payments.models import PaymentRequest
from hisho.payments.providers.sandbox import SandboxProvider


def stripe_signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    signed = f"{moment}.".encode() + body
    return f"t={moment},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def session_event(
    event_type: str,
    *,
    session_id: str,
    payment_id: str,
    amount: int,
    currency: str = "jpy",
    payment_status: str = "paid",
    event_id: str | None = None,
    intent: str = "pi_test_1",
) -> bytes:
    event = {
        "id": event_id or f"evt_{time.monotonic_ns()}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": currency,
                "client_reference_id": payment_id,
                "metadata": {"payment_request": payment_id},
                "payment_intent": intent,
                "payment_status": payment_status,
                "status": "complete",
            }
        },
    }
    return json.dumps(event).encode()


def with_field(body: bytes, path: str, value: Any) -> bytes:
    """The event with the field at a dotted path ("data.object.id") set to `value`."""
    event = json.loads(body)
    *parents, name = path.split(".")
    where = event
    for parent in parents:
        where = where[parent]
    where[name] = value
    return json.dumps(event).encode()


def post_webhook(
    body: bytes,
    *,
    provider: str = "sandbox",
    secret: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Any:
    secret = secret if secret is not None else SandboxProvider().webhook_secret()
    header = signature if signature is not None else stripe_signature(body, secret, timestamp)
    return Client().post(
        f"/webhooks/payments/{provider}",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


@pytest.fixture
def payment(demo: Demo, api_as: Any) -> dict[str, Any]:
    """A ¥5,000 request by kenji on alice's errand, as the API returned it."""
    response = api_as("kenji").post(
        f"/errands/{demo.alice_errand.pk}/payment-requests",
        {"amount": 5000, "currency": "JPY", "description": "Deposit for the restaurant"},
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def checkout(payment: dict[str, Any], api_as: Any) -> dict[str, Any]:
    """Alice started a sandbox checkout: the session id and its URL."""
    response = api_as("alice").post(f"/payment-requests/{payment['id']}/checkout")
    assert response.status_code == 200, response.content
    url = response.json()["redirect_url"]
    session_id = url.rstrip("/").rsplit("/", 1)[-1]
    return {"payment": payment, "url": url, "session_id": session_id}


def reload(payment: dict[str, Any]) -> PaymentRequest:
    return PaymentRequest.objects.get(pk=payment["id"])
