"""The sandbox provider's own writes (the provider's side of a checkout, as Stripe keeps
it): opening a session, settling it from its hosted page, refunding. Each returns the
signed-webhook body to send, if any; hisho.payments.webhooks sends it after commit."""

from __future__ import annotations

from django.db import transaction

from hisho.audit.actions import record_event
from hisho.errors import Conflict, NotFound
from hisho.payments.models import SandboxSession, SandboxStatus
from hisho.payments.providers import CheckoutOrder
from hisho.payments.providers.sandbox import event_body, new_id

PAY, FAIL, LATER, KONBINI_PAID, EXPIRE = "pay", "fail", "later", "konbini-paid", "expire"
OUTCOMES = (PAY, FAIL, LATER, KONBINI_PAID, EXPIRE)


@transaction.atomic
def do_open_sandbox_session(*, actor: None, order: CheckoutOrder) -> SandboxSession:
    session = SandboxSession.objects.create(
        id=new_id("cs"),
        client_reference_id=order.payment_request_id,
        amount_total=order.amount,
        currency=order.currency.lower(),
        payment_intent=new_id("pi"),
        success_url=order.success_url,
        cancel_url=order.cancel_url,
    )
    record_event("payment.sandbox_session_opened", actor=actor, extra={"amount": order.amount})
    return session


@transaction.atomic
def do_settle_sandbox_session(*, actor: None, session_id: str, outcome: str) -> bytes:
    """What the customer did on the sandbox page; returns the webhook body to send."""
    session = SandboxSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None or outcome not in OUTCOMES:
        raise NotFound("No such checkout.")
    is_open = session.status == SandboxStatus.OPEN
    awaiting = session.status == SandboxStatus.COMPLETE and session.payment_status == "unpaid"
    if outcome == PAY and is_open:
        session.status, session.payment_status = SandboxStatus.COMPLETE, "paid"
        event_type = "checkout.session.completed"
    elif outcome == LATER and is_open:
        session.status = SandboxStatus.COMPLETE  # a konbini voucher: paid later, in cash
        event_type = "checkout.session.completed"
    elif outcome == KONBINI_PAID and awaiting:
        session.payment_status = "paid"
        event_type = "checkout.session.async_payment_succeeded"
    elif outcome == FAIL and (is_open or awaiting):
        session.status = SandboxStatus.COMPLETE
        event_type = "checkout.session.async_payment_failed"
    elif outcome == EXPIRE and is_open:
        session.status = SandboxStatus.EXPIRED
        event_type = "checkout.session.expired"
    else:
        raise Conflict("This checkout is already finished.")
    session.save(update_fields=["status", "payment_status"])
    record_event("payment.sandbox_session_settled", actor=actor, extra={"outcome": outcome})
    return event_body(event_type, session)


@transaction.atomic
def do_refund_sandbox_payment(*, actor: None, payment_intent: str, amount: int) -> str | None:
    """The sandbox's refund API: a refund id, or None above what was paid and not yet
    refunded (Stripe's `amount_too_large`)."""
    session = (
        SandboxSession.objects.select_for_update()
        .filter(payment_intent=payment_intent, payment_status="paid")
        .first()
    )
    if session is None or amount > session.amount_total - session.amount_refunded:
        return None
    session.amount_refunded += amount
    session.save(update_fields=["amount_refunded"])
    record_event("payment.sandbox_refunded", actor=actor, extra={"amount": amount})
    return new_id("re")
