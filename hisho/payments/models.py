"""Payment requests, the checkout sessions made for them, and the append-only ledger.

No card number, card holder or billing address is ever here (POLICY K9): the customer
pays on the provider's hosted page, and Hisho learns only amounts, statuses and the
provider's ids. The description the assistant writes is DLP-scrubbed and sealed under
the errand's data key, so crypto-shredding covers it.

After the customer erases their account a request keeps only what the law requires
(amount, currency, status, times, the provider's ids and its ledger) with `customer`,
`errand` and the description gone (hisho.payments.actions.requests.do_unlink_customer_payments).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Currency(models.TextChoices):
    JPY = "JPY", "JPY"


class Status(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment at a convenience store")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Payment failed")
    EXPIRED = "expired", _("Checkout expired")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


# A provider's news may only move a request forward: a late or out-of-order webhook
# never undoes a later state (hisho/payments/actions/webhooks.py).
RANK = {
    Status.OPEN: 0,
    Status.AWAITING_PAYMENT: 1,
    Status.FAILED: 2,
    Status.EXPIRED: 2,
    Status.PAID: 3,
    Status.PARTIALLY_REFUNDED: 4,
    Status.REFUNDED: 5,
}
# The customer may (re)start a checkout from these.
PAYABLE = (Status.OPEN, Status.FAILED, Status.EXPIRED)
REFUNDABLE = (Status.PAID, Status.PARTIALLY_REFUNDED)


class Provider(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox"
    STRIPE = "stripe", "Stripe"


class PaymentRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # NULL once the customer erased their account (the errand is gone with it).
    errand = models.ForeignKey(
        "desk.Errand", on_delete=models.SET_NULL, null=True, related_name="payment_requests"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.JPY)
    # What it is for: DLP-scrubbed, sealed under the errand's key; NULL after erasure.
    sealed_description = models.BinaryField(null=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    # The provider's payment (Stripe: a PaymentIntent id), once known: refunds name it.
    provider_payment_id = models.CharField(max_length=255, blank=True, default="")
    amount_paid = models.PositiveIntegerField(default=0)
    amount_refunded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True)
    unlinked_at = models.DateTimeField(null=True)

    # The description its assistant just wrote, on the instance do_create_payment_request
    # returns only (never saved): the reply needs no decryption.
    description: str | None = None

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]

    def __str__(self) -> str:
        return f"PaymentRequest {self.pk}"


class CheckoutSession(models.Model):
    """One hosted checkout the customer was sent to; a webhook names it by its id, and
    must agree with it (request, amount, currency) to change anything."""

    session_id = models.CharField(max_length=255, primary_key=True)
    payment_request = models.ForeignKey(
        PaymentRequest, on_delete=models.PROTECT, related_name="sessions"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # The hosted page, so that a second "Pay" while this one can still be paid sends the
    # customer back to it rather than opening a second page they could pay as well.
    url = models.URLField(max_length=2048, blank=True, default="")

    def __str__(self) -> str:
        return f"CheckoutSession {self.pk}"


class LedgerKind(models.TextChoices):
    REQUESTED = "requested"
    CHECKOUT_STARTED = "checkout_started"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    UNLINKED = "unlinked"
    # Money received a second time for a request already paid (a second checkout paid
    # too): on the books, never on the request's totals, and refunded in full at once.
    PAID_AGAIN = "paid_again"
    PAID_AGAIN_REFUNDED = "paid_again_refunded"


class LedgerEntry(models.Model):
    """Append-only: every change to a payment request is a new row (a database trigger
    refuses UPDATE). `provider_event_id` is unique, so a webhook applies at most once."""

    payment_request = models.ForeignKey(
        PaymentRequest, on_delete=models.PROTECT, related_name="ledger"
    )
    kind = models.CharField(max_length=24, choices=LedgerKind.choices)
    # Money moved by this entry, in the request's currency (refunds are positive too).
    amount = models.PositiveIntegerField(default=0)
    status_after = models.CharField(max_length=24, choices=Status.choices)
    provider_event_id = models.CharField(max_length=255, null=True, unique=True)
    session_id = models.CharField(max_length=255, blank=True, default="")
    # The provider's payment a PAID_AGAIN entry (and its refund) is about.
    provider_payment_id = models.CharField(max_length=255, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"LedgerEntry {self.pk}"


class SandboxStatus(models.TextChoices):
    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


class SandboxSession(models.Model):
    """The sandbox provider's own record of a checkout session, as Stripe keeps one: it
    is the provider's side, not Hisho's (only the sandbox module reads it)."""

    id = models.CharField(max_length=64, primary_key=True)
    client_reference_id = models.CharField(max_length=64)
    amount_total = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=SandboxStatus.choices, default=SandboxStatus.OPEN
    )
    payment_status = models.CharField(max_length=16, default="unpaid")
    payment_intent = models.CharField(max_length=64)
    amount_refunded = models.PositiveIntegerField(default=0)
    success_url = models.CharField(max_length=500)
    cancel_url = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"SandboxSession {self.pk}"
