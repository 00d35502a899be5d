"""`/api/v1/…/payment-requests`: payment requests on an errand, hosted checkout, refunds
and receipts (API.md, "Payments")."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.accounts.principal import Principal, principal_of
from hisho.desk.access import access_errand
from hisho.idempotency.api import idempotent
from hisho.payments.access import (
    PAY,
    REFUND,
    access_payment_request,
    payment_requests_on,
    read_descriptions,
)
from hisho.payments.actions import do_create_payment_request, do_refund_payment, do_start_checkout
from hisho.payments.actions.requests import AMOUNT_MAX, AMOUNT_MIN, DESCRIPTION_MAX
from hisho.payments.models import PaymentRequest
from hisho.payments.receipts import signed_receipt
from hisho.problems import Problem
from hisho.schemas import Integral, StrictIn, text, with_errors

router = Router(tags=["payments"])
ONLY_ASSISTANTS = "Only the errand's assistant can request a payment."

PaymentStatus = Literal[
    "open", "awaiting_payment", "paid", "failed", "expired", "refunded", "partially_refunded"
]


def with_provider_errors(ok: dict[int, object]) -> dict[int, object]:
    return {**with_errors(ok), 503: Problem}


def _amount_minimum(schema: dict[str, Any]) -> None:
    # The configured provider's smallest charge (Stripe: ¥50), read when the document is
    # generated, so a request valid by the schema is one the server accepts.
    enabled = settings.HISHO_PAYMENT_PROVIDERS
    schema["minimum"] = AMOUNT_MIN.get(enabled[0], 1) if enabled else 1


class PaymentRequestIn(StrictIn):
    amount: Annotated[int, Integral] = Field(
        le=AMOUNT_MAX, description="Whole yen.", json_schema_extra=_amount_minimum
    )
    currency: Literal["JPY"] = "JPY"
    description: str = text(
        DESCRIPTION_MAX, required=True, description="What it is for (card numbers are removed)."
    )


class PaymentRequestOut(Schema):
    id: uuid.UUID
    errand_id: uuid.UUID | None
    amount: int
    currency: str
    description: str | None = Field(
        description="For the errand's owner and assignee; null for anyone else."
    )
    status: PaymentStatus
    status_label: str
    amount_paid: int
    amount_refunded: int
    provider: str
    created_at: dt.datetime
    paid_at: dt.datetime | None


class CheckoutOut(Schema):
    redirect_url: str


class RefundIn(StrictIn):
    amount: Annotated[int, Field(ge=1, le=AMOUNT_MAX), Integral] | None = Field(
        default=None,
        description="Whole yen; at most what was paid and not refunded yet (409 beyond).",
    )


class ReceiptSignature(Schema):
    alg: str
    key_id: str
    value: str


class ReceiptOut(Schema):
    payload: dict[str, Any]
    signature: ReceiptSignature


def payment_out(payment: PaymentRequest, description: str | None) -> PaymentRequestOut:
    return PaymentRequestOut(
        id=payment.pk,
        errand_id=payment.errand_id,
        amount=payment.amount,
        currency=payment.currency,
        description=description,
        status=payment.status,  # type: ignore[arg-type]
        status_label=str(payment.get_status_display()),
        amount_paid=payment.amount_paid,
        amount_refunded=payment.amount_refunded,
        provider=payment.provider,
        created_at=payment.created_at,
        paid_at=payment.paid_at,
    )


def _described(principal: Principal, payment: PaymentRequest) -> PaymentRequestOut:
    if payment.description is not None:
        return payment_out(payment, payment.description)
    descriptions = read_descriptions(principal, payment.errand, [payment])
    return payment_out(payment, descriptions[payment.pk])


def site_of(request: HttpRequest) -> str:
    """This Hisho's origin as the caller reached it (ALLOWED_HOSTS checked): where the
    provider sends the customer back."""
    return request.build_absolute_uri("/").rstrip("/")


def _replay_payment_request(request: HttpRequest, resource_id: str, **_: Any) -> PaymentRequestOut:
    # The request as it is now (a retry of a create that was answered).
    principal = principal_of(request)
    return _described(principal, access_payment_request(principal, resource_id))


@router.post(
    "/errands/{errand_id}/payment-requests",
    response=with_errors({201: PaymentRequestOut}),
    summary="Request a payment on an errand (its current assistant)",
)
@idempotent(replay=_replay_payment_request)
def create_payment_request(
    request: HttpRequest, errand_id: str, payload: PaymentRequestIn
) -> Status[Any]:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, detail=ONLY_ASSISTANTS)
    errand = access_errand(principal, errand_id)
    payment = do_create_payment_request(
        actor=principal.user,
        errand=errand,
        amount=payload.amount,
        currency=payload.currency,
        description=payload.description,
    )
    return Status(201, payment_out(payment, payment.description))


@router.get(
    "/errands/{errand_id}/payment-requests",
    response=with_errors({200: list[PaymentRequestOut]}),
    summary="The payment requests on an errand (owner and assignee)",
)
def list_payment_requests(request: HttpRequest, errand_id: str) -> list[PaymentRequestOut]:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    payments = payment_requests_on(principal, errand)
    descriptions = read_descriptions(principal, errand, payments)
    return [payment_out(p, descriptions[p.pk]) for p in payments]


@router.post(
    "/payment-requests/{payment_id}/checkout",
    response=with_provider_errors({200: CheckoutOut}),
    summary="Start the provider's hosted checkout (the errand's owner): follow redirect_url",
)
def start_checkout(request: HttpRequest, payment_id: str) -> CheckoutOut:
    principal = principal_of(request)
    require_role(principal, Role.CUSTOMER, detail="Only customers pay payment requests.")
    payment = access_payment_request(principal, payment_id, what=PAY)
    checkout = do_start_checkout(actor=principal.user, payment=payment, site=site_of(request))
    return CheckoutOut(redirect_url=checkout.url)


def _replay_refund(request: HttpRequest, resource_id: str, **_: Any) -> PaymentRequestOut:
    # A retried refund is the same refund: the request as it is now, refunded once.
    principal = principal_of(request)
    return _described(principal, access_payment_request(principal, resource_id, what=REFUND))


@router.post(
    "/payment-requests/{payment_id}/refund",
    response=with_provider_errors({200: PaymentRequestOut}),
    summary="Refund all or part of a payment (the errand's assistant, or an admin)",
)
@idempotent(replay=_replay_refund)
def refund(request: HttpRequest, payment_id: str, payload: RefundIn | None = None) -> Any:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, Role.ADMIN, detail="Only staff can refund.")
    payment = access_payment_request(principal, payment_id, what=REFUND)
    amount = payload.amount if payload is not None else None
    payment = do_refund_payment(actor=principal.user, payment=payment, amount=amount)
    return _described(principal, payment)


@router.get(
    "/payment-requests/{payment_id}/receipt",
    response=with_errors({200: ReceiptOut}),
    summary="The signed receipt of a payment (the errand's owner)",
)
def receipt(request: HttpRequest, payment_id: str) -> dict[str, Any]:
    principal = principal_of(request)
    require_role(principal, Role.CUSTOMER, detail="Receipts are for customers.")
    payment = access_payment_request(principal, payment_id, what=PAY)
    description = read_descriptions(principal, payment.errand, [payment])[payment.pk]
    return signed_receipt(payment, description)


def payment_views(principal: Principal, errand: Any) -> list[PaymentRequestOut]:
    """The errand page's payment section (owner and assignee)."""
    payments = payment_requests_on(principal, errand)
    descriptions = read_descriptions(principal, errand, payments)
    return [payment_out(p, descriptions[p.pk]) for p in payments]
