"""The sandbox provider, served by Hisho itself in the embedded shape (`make run`): a
hosted page under /sandbox-pay/<session>/ with "pay", "fail", "pay later (konbini)" and,
for a konbini payment, "paid at the store" — each of which sends a webhook signed exactly
as Stripe signs them (`Stripe-Signature: t=…,v1=…`) to the same receiver as Stripe's
(`hisho.payments.webhooks.receive`, behind POST /webhooks/payments/sandbox), so the
verification code is the same in the demo, the tests and production.

Its sessions and events have Stripe's shape (checkout.session objects, `evt_…` events).
Never enabled in production unless HISHO_PAYMENT_PROVIDERS names it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from django.conf import settings
from django.urls import reverse

from hisho.payments.models import SandboxSession
from hisho.payments.providers import Checkout, CheckoutOrder, ProviderError

API_VERSION = "2025-01-27.acacia"


class SandboxProvider:
    key = "sandbox"

    def webhook_secret(self) -> str:
        configured = str(getattr(settings, "HISHO_SANDBOX_WEBHOOK_SECRET", "") or "")
        if configured:
            return configured
        derived = hmac.new(
            settings.SECRET_KEY.encode(), b"hisho.payments.sandbox.webhook", hashlib.sha256
        ).hexdigest()
        return f"whsec_{derived}"

    def form_action_origins(self) -> list[str]:
        return []  # the sandbox page is on Hisho's own origin

    def create_checkout(self, order: CheckoutOrder) -> Checkout:
        from hisho.payments.actions.sandbox import do_open_sandbox_session

        session = do_open_sandbox_session(actor=None, order=order)
        site = order.site.rstrip("/")
        return Checkout(session.id, f"{site}{reverse('sandbox_pay', args=[session.id])}")

    def refund(self, *, payment_id: str, amount: int, idempotency_key: str) -> str:
        from hisho.payments.actions.sandbox import do_refund_sandbox_payment

        refund_id = do_refund_sandbox_payment(actor=None, payment_intent=payment_id, amount=amount)
        if refund_id is None:
            raise ProviderError("amount_too_large")
        return refund_id


def new_id(prefix: str) -> str:
    return f"{prefix}_sandbox_{secrets.token_hex(12)}"


def session_object(session: SandboxSession) -> dict[str, Any]:
    """The session as Stripe's API would show it (the fields Hisho reads, and a few)."""
    return {
        "id": session.id,
        "object": "checkout.session",
        "mode": "payment",
        "livemode": False,
        "amount_total": session.amount_total,
        "currency": session.currency,
        "client_reference_id": session.client_reference_id,
        "metadata": {"payment_request": session.client_reference_id},
        "payment_intent": session.payment_intent,
        "payment_method_types": ["card", "konbini"],
        "payment_status": session.payment_status,
        "status": session.status,
        "success_url": session.success_url,
        "cancel_url": session.cancel_url,
    }


def event_body(event_type: str, session: SandboxSession) -> bytes:
    event = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": session_object(session)},
    }
    return json.dumps(event, indent=2).encode()


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """`Stripe-Signature` exactly as Stripe builds it: t=<unix time>,v1=<hex HMAC-SHA256
    of "<t>.<body>" under the endpoint's secret>."""
    moment = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={mac}"
