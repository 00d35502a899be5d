"""The signed receipt a customer gets for a payment (POLICY O3): an Ed25519-signed
document (hisho.signing), `{"payload": {"type": "hisho.payment_receipt", …}, "signature":
{…}}`, verifiable with `hisho verify-export FILE` or by anyone with the keys published at
/.well-known/hisho-signing-keys.json."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hisho.errors import Conflict
from hisho.payments.models import REFUNDABLE, PaymentRequest, Status
from hisho.signing.service import sign_document

RECEIPT_TYPE = "hisho.payment_receipt"
RECEIPT_VERSION = 1


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def receipt_payload(payment: PaymentRequest, description: str | None) -> dict[str, Any]:
    return {
        "type": RECEIPT_TYPE,
        "v": RECEIPT_VERSION,
        "payment_request": str(payment.pk),
        "errand_id": str(payment.errand_id) if payment.errand_id else None,
        "description": description,
        "amount": payment.amount,
        "currency": payment.currency,
        "amount_paid": payment.amount_paid,
        "amount_refunded": payment.amount_refunded,
        "status": payment.status,
        "provider": payment.provider,
        "requested_at": iso(payment.created_at),
        "paid_at": iso(payment.paid_at),
        "ledger": [
            {"kind": e.kind, "amount": e.amount, "status": e.status_after, "at": iso(e.at)}
            for e in payment.ledger.order_by("id")
        ],
    }


def signed_receipt(payment: PaymentRequest, description: str | None) -> dict[str, Any]:
    if payment.status not in (*REFUNDABLE, Status.REFUNDED):
        raise Conflict("There is a receipt once the payment is made.")
    return sign_document(receipt_payload(payment, description))
