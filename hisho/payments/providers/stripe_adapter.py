"""Stripe: Checkout Sessions (hosted page, card and konbini) and refunds through the
official library. `HISHO_STRIPE_API_BASE` points it elsewhere (the tests' stand-in of
the Stripe API on loopback); production leaves it at https://api.stripe.com."""

from __future__ import annotations

from urllib.parse import urlsplit

import stripe
from django.conf import settings

from hisho.payments.providers import Checkout, CheckoutOrder, ProviderError

PRODUCT_NAME = "Hisho payment request"
CHECKOUT_ORIGIN = "https://checkout.stripe.com"


class StripeProvider:
    key = "stripe"

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            settings.HISHO_STRIPE_SECRET_KEY,
            base_addresses={"api": settings.HISHO_STRIPE_API_BASE},
            max_network_retries=2,
        )

    def webhook_secret(self) -> str:
        return str(settings.HISHO_STRIPE_WEBHOOK_SECRET)

    def form_action_origins(self) -> list[str]:
        return [CHECKOUT_ORIGIN]

    def create_checkout(self, order: CheckoutOrder) -> Checkout:
        params: dict[str, object] = {
            "mode": "payment",
            "payment_method_types": ["card", "konbini"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": order.currency.lower(),
                        "unit_amount": order.amount,
                        "product_data": {"name": PRODUCT_NAME},
                    },
                }
            ],
            "client_reference_id": order.payment_request_id,
            "metadata": {"payment_request": order.payment_request_id},
            "payment_intent_data": {"metadata": {"payment_request": order.payment_request_id}},
            "success_url": order.success_url,
            "cancel_url": order.cancel_url,
        }
        try:
            session = self._client().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": order.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(_code(exc)) from None
        url = str(session.url or "")
        if not session.id or urlsplit(url).scheme != "https":
            raise ProviderError("bad_response")
        return Checkout(session_id=str(session.id), url=url)

    def refund(self, *, payment_id: str, amount: int, idempotency_key: str) -> str:
        try:
            refund = self._client().v1.refunds.create(
                params={"payment_intent": payment_id, "amount": amount},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(_code(exc)) from None
        return str(refund.id)


def _code(exc: stripe.StripeError) -> str:
    """A fixed word for the failure; the library's message may quote what was sent."""
    if isinstance(exc, stripe.APIConnectionError):
        return "unreachable"
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code.replace("_", "").isalnum() and len(code) <= 64:
        return code
    return "refused"
