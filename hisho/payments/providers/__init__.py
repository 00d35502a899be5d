"""The payment provider interface: a hosted checkout (a redirect, never an iframe or the
provider's script on Hisho's pages), refunds, and webhooks signed the way Stripe signs
them (`Stripe-Signature: t=…,v1=…`, HMAC-SHA256 over "t.body").

Two providers: `stripe` (hisho.payments.providers.stripe_adapter, the official library against
the Stripe API — or, in the tests, against a stand-in on loopback) and `sandbox`
(hisho.payments.providers.sandbox, served by Hisho itself for the embedded shape). Both
webhooks are verified by the same code, `verify_webhook`, which is Stripe's own
`stripe.Webhook.construct_event` with its default 300-second tolerance — in the past, as
the library checks, and in the future too, which it does not: a signature dated a week
ahead would be good for a week.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import stripe
from django.conf import settings

from hisho.errors import Conflict, NotFound


@dataclass(frozen=True)
class Checkout:
    session_id: str
    url: str


@dataclass(frozen=True)
class CheckoutOrder:
    """What a provider is told about a payment: no description, no name, no e-mail —
    an amount, a currency and Hisho's id for the request (POLICY K5: the minimum)."""

    payment_request_id: str
    amount: int
    currency: str
    success_url: str
    cancel_url: str
    idempotency_key: str
    site: str  # this Hisho's origin, as the customer reached it (the sandbox's pages)


class ProviderError(Exception):
    """The provider refused or could not be reached. `code` is a fixed word."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class BadWebhook(Exception):
    """A webhook that must change nothing. `reason` is a fixed word (audit extra)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PaymentProvider(Protocol):
    key: str

    def webhook_secret(self) -> str: ...

    def create_checkout(self, order: CheckoutOrder) -> Checkout: ...

    def refund(self, *, payment_id: str, amount: int, idempotency_key: str) -> str: ...

    def form_action_origins(self) -> list[str]: ...


def enabled_providers() -> list[str]:
    return list(settings.HISHO_PAYMENT_PROVIDERS)


def default_provider() -> PaymentProvider:
    """The provider new payment requests use: the first one enabled."""
    if not settings.HISHO_PAYMENT_PROVIDERS:
        raise Conflict("Payments are not set up on this service.")
    return provider_for(settings.HISHO_PAYMENT_PROVIDERS[0])


def provider_for(key: str) -> PaymentProvider:
    """The enabled provider `key`; NotFound (404) for any other (webhook paths)."""
    if key not in settings.HISHO_PAYMENT_PROVIDERS:
        raise NotFound("No such payment provider.")
    if key == "stripe":
        from hisho.payments.providers.stripe_adapter import StripeProvider

        return StripeProvider()
    if key == "sandbox":
        from hisho.payments.providers.sandbox import SandboxProvider

        return SandboxProvider()
    raise NotFound("No such payment provider.")


def verify_webhook(provider: PaymentProvider, body: bytes, signature: str | None) -> dict[str, Any]:
    """The event a webhook carries, if it is signed with the provider's secret within the
    last 300 s; BadWebhook otherwise. The library's exception holds the body and the
    header: it is never logged or re-raised, only its kind is kept."""
    try:
        stripe.Webhook.construct_event(body, signature, provider.webhook_secret())
    except stripe.SignatureVerificationError:
        raise BadWebhook("bad_signature") from None
    except (ValueError, UnicodeDecodeError, TypeError, KeyError, AttributeError, RecursionError):
        raise BadWebhook("malformed") from None
    # The library has read `t=` as an integer already (or refused); read it the same way
    # (its first `t` item) to add the upper bound it lacks.
    items = [item.split("=", 2) for item in (signature or "").split(",")]
    signed_at = int(next(item[1] for item in items if item[0] == "t"))
    if signed_at > time.time() + stripe.Webhook.DEFAULT_TOLERANCE:
        raise BadWebhook("bad_signature")
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise BadWebhook("malformed") from None
    if not isinstance(event, dict):
        raise BadWebhook("malformed")
    return event
