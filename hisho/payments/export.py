"""The customer's payments in their export (hisho.privacy.export): each request on their
errands, its description (opened for them through the vault) and its ledger."""

from __future__ import annotations

from typing import Any

from hisho.accounts.models import Role
from hisho.accounts.principal import Principal
from hisho.payments.access import read_descriptions
from hisho.payments.models import PaymentRequest
from hisho.payments.receipts import iso


def payments_for_export(principal: Principal) -> list[dict[str, Any]]:
    user = principal.user
    if user.role != Role.CUSTOMER:
        return []
    payments = list(
        PaymentRequest.objects.filter(customer=user)
        .select_related("errand")
        .prefetch_related("ledger")
        .order_by("created_at", "id")
    )
    out = []
    for payment in payments:
        description = read_descriptions(principal, payment.errand, [payment])[payment.pk]
        out.append(
            {
                "id": str(payment.pk),
                "errand_id": str(payment.errand_id) if payment.errand_id else None,
                "amount": payment.amount,
                "currency": payment.currency,
                "description": description,
                "status": payment.status,
                "amount_paid": payment.amount_paid,
                "amount_refunded": payment.amount_refunded,
                "provider": payment.provider,
                "created_at": iso(payment.created_at),
                "paid_at": iso(payment.paid_at),
                "ledger": [
                    {"kind": e.kind, "amount": e.amount, "status": e.status_after, "at": iso(e.at)}
                    for e in payment.ledger.all()
                ],
            }
        )
    return out
