"""Every write of the payments app (house rule 1): requests, checkout, refunds and the
erasure hook (`requests`), webhooks (`webhooks`), and the sandbox provider's own side
(`sandbox`)."""

from hisho.payments.actions.requests import (
    do_create_payment_request,
    do_refund_payment,
    do_start_checkout,
    do_unlink_customer_payments,
)
from hisho.payments.actions.webhooks import WebhookOutcome, do_receive_webhook

__all__ = [
    "WebhookOutcome",
    "do_create_payment_request",
    "do_receive_webhook",
    "do_refund_payment",
    "do_start_checkout",
    "do_unlink_customer_payments",
]
