"""Who may see and act on which payment request (house rule 2). Missing and forbidden
are the same 404.

- the errand's owner: sees, pays, downloads the receipt;
- the errand's current assignee: sees, requests, refunds;
- admins: refund (operations), never the description (it is sealed errand content).
"""

from __future__ import annotations

import uuid
from typing import Any

from hisho.accounts.models import Role
from hisho.accounts.principal import Principal, as_principal
from hisho.desk.access import is_participant
from hisho.desk.content import errand_scope
from hisho.desk.models import Errand
from hisho.errors import NotFound
from hisho.payments.models import PaymentRequest
from hisho.vault.models import AccessAction
from hisho.vault.sealing import Place, unseal

NOT_FOUND = "No such payment request."
TABLE = PaymentRequest._meta.db_table
PAY, READ, REFUND = "pay", "read", "refund"


def description_place(payment_id: uuid.UUID) -> Place:
    return Place(TABLE, str(payment_id), "description")


def _parse(payment_id: Any) -> uuid.UUID | None:
    try:
        return payment_id if isinstance(payment_id, uuid.UUID) else uuid.UUID(str(payment_id))
    except ValueError:
        return None


def may(principal: Principal, payment: PaymentRequest, what: str) -> bool:
    errand = payment.errand
    user = principal.user
    if what == REFUND and principal.role == Role.ADMIN and principal.cleared and user.is_active:
        return True
    if errand is None or not is_participant(principal, errand):
        return False
    if what == PAY:
        return errand.customer_id == user.pk and payment.customer_id == user.pk
    if what == REFUND:
        return errand.assignee_id == user.pk
    return True


def access_payment_request(
    principal: Principal, payment_id: Any, *, what: str = READ, for_write: bool = False
) -> PaymentRequest:
    principal = as_principal(principal)
    principal.require_cleared()
    pk = _parse(payment_id)
    if pk is None:
        raise NotFound(NOT_FOUND)
    queryset = PaymentRequest.objects.select_related("errand", "errand__assignee")
    if for_write:
        queryset = queryset.select_for_update(of=("self",))
    payment = queryset.filter(pk=pk).first()
    if payment is None or not may(principal, payment, what):
        raise NotFound(NOT_FOUND)
    return payment


def payment_requests_on(principal: Principal, errand: Errand) -> list[PaymentRequest]:
    """The requests on an errand the caller already holds (access_errand)."""
    if not is_participant(principal, errand):
        raise NotFound(NOT_FOUND)
    return list(PaymentRequest.objects.filter(errand=errand).order_by("created_at", "id"))


def read_descriptions(
    principal: Principal, errand: Errand | None, payments: list[PaymentRequest]
) -> dict[uuid.UUID, str | None]:
    """Each request's description, opened through the vault for the errand's owner and
    current assignee; None for anyone else (admins refunding) and after erasure."""
    out: dict[uuid.UUID, str | None] = {p.pk: None for p in payments}
    sealed = [p for p in payments if p.sealed_description is not None]
    if errand is None or not sealed or not is_participant(principal, errand):
        return out
    opened = unseal(
        principal,
        errand_scope(errand),
        [(description_place(p.pk), p.sealed_description) for p in sealed],
        action=AccessAction.READ_MESSAGES,
    )
    for payment, text in zip(sealed, opened, strict=True):
        out[payment.pk] = text.shown()
    return out


def payment_frame(principal: Principal, errand: Errand, payment_id: str) -> dict[str, Any] | None:
    """The live frame for a payment event (hisho.desk.consumers), read now: ids, amounts
    and status only — its description comes with the next page or API read."""
    pk = _parse(payment_id)
    if pk is None or not is_participant(principal, errand):
        return None
    payment = PaymentRequest.objects.filter(pk=pk, errand=errand).first()
    if payment is None:
        return None
    return {
        "type": "payment",
        "errand": str(errand.pk),
        "payment": {
            "id": str(payment.pk),
            "status": payment.status,
            "status_label": str(payment.get_status_display()),
            "amount": payment.amount,
            "currency": payment.currency,
            "amount_refunded": payment.amount_refunded,
        },
    }
