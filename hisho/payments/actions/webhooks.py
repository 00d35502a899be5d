"""Webhooks from a payment provider: verified, checked against what Hisho asked for, and
applied at most once, only ever forward.

- The signature is checked first (Stripe's scheme, `stripe.Webhook.construct_event`, 300 s
  tolerance, for every provider, the sandbox included): nothing of an unsigned body is
  read, logged or stored — anyone can send one, and scanning it would let them spend the
  server's time (a 256 KiB body of card-like digits cost seconds of DLP).
- Of a signed event only its type is logged and audited, and only when it is a short
  identifier in which DLP finds nothing (hisho.inbound.scrub on the decoded value: a card
  number written as JSON `\\u` escapes is found too).
- A forged or stale signature, an unknown session or request, a session that names
  another request, or an amount or currency other than the one asked for → rejected: the
  changes roll back, 400, and a `payment.webhook_rejected` audit event records the
  provider and the reason — the first of each in a minute (REJECTION_WINDOW): an
  anonymous sender must not be able to grow the append-only log without bound; every
  rejection is still logged.
- A webhook delivered twice (same event id), late or out of order (a state at or below
  the current one) changes nothing and answers 200, as providers expect.
- A refund made in the provider's dashboard (`charge.refunded`, which carries the charge's
  cumulative `amount_refunded`) is applied as the difference to what Hisho recorded; the
  echo of a refund Hisho itself made finds nothing new and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from hisho.audit.actions import record_event
from hisho.desk.models import Status as ErrandStatus
from hisho.errors import InvalidInput
from hisho.inbound import scrub
from hisho.payments.actions.requests import _announce, refund_at_provider
from hisho.payments.models import (
    RANK,
    REFUNDABLE,
    CheckoutSession,
    LedgerEntry,
    LedgerKind,
    PaymentRequest,
    Status,
)
from hisho.payments.providers import BadWebhook, PaymentProvider, verify_webhook

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")

COMPLETED = "checkout.session.completed"
SUCCEEDED = "checkout.session.async_payment_succeeded"
FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
REFUNDED = "charge.refunded"
HANDLED = frozenset({COMPLETED, SUCCEEDED, FAILED, EXPIRED})
_KIND = {
    Status.PAID: LedgerKind.PAID,
    Status.AWAITING_PAYMENT: LedgerKind.AWAITING_PAYMENT,
    Status.FAILED: LedgerKind.FAILED,
    Status.EXPIRED: LedgerKind.EXPIRED,
}


class _Duplicate(Exception):
    """The same event, applied concurrently by another delivery: roll this one back."""


@dataclass(frozen=True)
class WebhookOutcome:
    accepted: bool
    result: str  # applied, duplicate, stale, ignored — or why it was rejected


def _identifier(value: Any) -> str | None:
    return value if isinstance(value, str) and _IDENTIFIER.match(value) else None


def _provider_id(value: Any) -> str | None:
    """An id the provider gives (event, session, payment) as the ledger can keep it: a
    string of 1 to 255 characters without NUL (PostgreSQL holds none in text), else None.
    A signed body is the provider's, yet of JSON types Hisho must check, not trust."""
    if isinstance(value, str) and 0 < len(value) <= 255 and "\x00" not in value:
        return value
    return None


def _event_type(event: dict[str, Any]) -> str | None:
    """The type of a verified event, for the log and the audit event: an identifier in
    which DLP finds nothing, else None."""
    value = _identifier(event.get("type"))
    if value is None:
        return None
    try:
        clean = scrub("webhook type", value, max_length=64).text == value
    except InvalidInput:
        return None
    return value if clean else None


# A rejected webhook is audited once per provider and reason in this many seconds.
REJECTION_WINDOW = 60


def _audit_rejection(provider: str, reason: str) -> None:
    # cache.add is atomic in every backend Hisho uses (locmem, database, Redis): one entry
    # per window, however many processes are refusing at once.
    if cache.add(f"hisho:webhook-rejected:{provider}:{reason}", 1, timeout=REJECTION_WINDOW):
        record_event(
            "payment.webhook_rejected",
            actor=None,
            extra={"provider": provider, "reason": reason, "window_seconds": REJECTION_WINDOW},
        )


@transaction.atomic
def do_receive_webhook(
    *, actor: None = None, provider: PaymentProvider, body: bytes, signature: str | None
) -> WebhookOutcome:
    event_type = None
    try:
        with transaction.atomic():
            event = verify_webhook(provider, body, signature)
            event_type = _event_type(event)
            result = _apply(provider.key, event)
    except _Duplicate:
        result = "duplicate"
    except BadWebhook as exc:
        _audit_rejection(provider.key, exc.reason)
        log.warning(
            "payments webhook rejected: provider=%s type=%s reason=%s",
            provider.key,
            event_type,
            exc.reason,
        )
        return WebhookOutcome(False, exc.reason)
    log.info("payments webhook: provider=%s type=%s %s", provider.key, event_type, result)
    return WebhookOutcome(True, result)


def _book(payment: PaymentRequest, **fields: Any) -> None:
    """The ledger entry of one provider event. Its event id is unique: the same event
    applied at once by another delivery makes this one roll back (`_Duplicate`)."""
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(payment_request=payment, **fields)
    except IntegrityError:
        raise _Duplicate from None


def _apply(provider: str, event: dict[str, Any]) -> str:
    event_id = _provider_id(event.get("id"))
    event_type = event.get("type")
    # Every event has a string type; anything else (an object or a list once answered
    # 500 at `in HANDLED`) is not an event Hisho can read.
    if event_id is None or not isinstance(event_type, str):
        raise BadWebhook("malformed")
    if event_type == REFUNDED:
        return _apply_refund(provider, event_id, event)
    if event_type not in HANDLED:
        return "ignored"
    data = event.get("data")
    session = data.get("object") if isinstance(data, dict) else None
    if not isinstance(session, dict) or session.get("object") != "checkout.session":
        raise BadWebhook("malformed")
    session_id = _provider_id(session.get("id"))
    known = (
        CheckoutSession.objects.filter(session_id=session_id, provider=provider).first()
        if session_id is not None
        else None
    )
    if known is None:
        raise BadWebhook("unknown_request")
    payment = PaymentRequest.objects.select_for_update().get(pk=known.payment_request_id)
    metadata = session.get("metadata")
    claimed = session.get("client_reference_id") or (
        metadata.get("payment_request") if isinstance(metadata, dict) else None
    )
    if claimed != str(payment.pk):
        raise BadWebhook("wrong_request")  # a session of one request paying for another
    amount, currency = session.get("amount_total"), session.get("currency")
    if (
        not isinstance(amount, int)
        or isinstance(amount, bool)
        or amount != known.amount
        or amount != payment.amount
        or not isinstance(currency, str)
        or currency.upper() != known.currency
    ):
        raise BadWebhook("amount_mismatch")
    if LedgerEntry.objects.filter(provider_event_id=event_id).exists():
        return "duplicate"

    target = _target(event_type, session.get("payment_status"))
    if target is None:
        return "ignored"
    latest = (
        CheckoutSession.objects.filter(payment_request=payment)
        .order_by("-created_at", "-pk")
        .values_list("session_id", flat=True)
        .first()
    )
    current = Status(payment.status)
    # No payment named (yet) is null or empty; an id Hisho could not keep is malformed.
    raw_intent = session.get("payment_intent")
    intent = "" if raw_intent is None or raw_intent == "" else _provider_id(raw_intent)
    if intent is None:
        raise BadWebhook("malformed")
    if target == Status.PAID and current not in PAID_ONCE and not _owed(payment):
        # The errand was cancelled — by the customer, or by erasing their account, which
        # also unlinks the request — while a hosted page was open. A new checkout is refused
        # (409), but that page could still be paid: the money goes on the books and is
        # refunded at once, as a second payment is. Nothing is owed for it.
        return _paid_again(
            provider,
            payment,
            known,
            event_id,
            event_type,
            amount,
            intent,
            audit="payment.paid_after_cancel",
        )
    if (
        target == Status.PAID
        and current in PAID_ONCE
        and intent != payment.provider_payment_id
        # The session that paid, reported again (its first report may have named no
        # payment): the same money, never a second payment to refund.
        and not LedgerEntry.objects.filter(
            payment_request=payment, kind=LedgerKind.PAID, session_id=known.session_id
        ).exists()
    ):
        return _paid_again(provider, payment, known, event_id, event_type, amount, intent)
    if RANK[target] <= RANK[current] or (target != Status.PAID and latest != session_id):
        return "stale"  # late or out of order: a later state stands

    previous = payment.status
    payment.status = target
    update = ["status", "updated_at"]
    if target == Status.PAID:
        payment.amount_paid = amount
        payment.paid_at = timezone.now()
        payment.provider_payment_id = intent
        update += ["amount_paid", "paid_at", "provider_payment_id"]
    payment.save(update_fields=update)
    _book(
        payment,
        kind=_KIND[target],
        amount=amount if target == Status.PAID else 0,
        status_after=target,
        provider_event_id=event_id,
        session_id=known.session_id,
    )
    record_event(
        "payment.status_changed",
        actor=None,
        target=payment,
        extra={"from": previous, "to": target.value, "provider": provider, "event": event_type},
    )
    _announce(payment)
    return "applied"


# Paid already: a payment reported now is a second one.
PAID_ONCE = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)


def _owed(payment: PaymentRequest) -> bool:
    """May this request still be paid? Not once its errand is cancelled, nor once its
    customer erased their account (the request is unlinked: no errand, no customer)."""
    errand = payment.errand
    return errand is not None and errand.status != ErrandStatus.CANCELLED


def _paid_again(
    provider: str,
    payment: PaymentRequest,
    known: CheckoutSession,
    event_id: str,
    event_type: str,
    amount: int,
    intent: str,
    audit: str = "payment.paid_again",
) -> str:
    """Money for a request that was paid already (two checkout pages both paid, a
    konbini voucher paid at the store after a card) or is no longer owed (`_owed`): it
    was received, so it goes on the books — not on the request's totals — and is
    refunded in full by a job, at once."""
    from hisho.payments.tasks import refund_paid_again

    if not intent:
        raise BadWebhook("malformed")  # nothing to refund it by
    _book(
        payment,
        kind=LedgerKind.PAID_AGAIN,
        amount=amount,
        status_after=payment.status,
        provider_event_id=event_id,
        session_id=known.session_id,
        provider_payment_id=intent,
    )
    record_event(
        audit,
        actor=None,
        target=payment,
        extra={"amount": amount, "provider": provider, "event": event_type},
    )
    refund_paid_again.enqueue(event_id)
    log.warning("payments: %s for request %s; refunding it", audit, payment.pk)
    return "paid_again"


def _apply_refund(provider: str, event_id: str, event: dict[str, Any]) -> str:
    """A refund made outside Hisho (the provider's dashboard): the charge says how much of
    it has been refunded in all; Hisho records what it did not know of yet."""
    data = event.get("data")
    charge = data.get("object") if isinstance(data, dict) else None
    if not isinstance(charge, dict) or charge.get("object") != "charge":
        raise BadWebhook("malformed")
    intent = _identifier(charge.get("payment_intent"))
    refunded, currency = charge.get("amount_refunded"), charge.get("currency")
    if intent is None or not isinstance(refunded, int) or isinstance(refunded, bool):
        raise BadWebhook("malformed")
    payment = (
        PaymentRequest.objects.select_for_update()
        .filter(provider=provider, provider_payment_id=intent)
        .first()
    )
    if payment is None:
        if LedgerEntry.objects.filter(
            kind=LedgerKind.PAID_AGAIN, provider_payment_id=intent
        ).exists():
            return "paid_again_refund"  # the echo of the refund of a second payment
        raise BadWebhook("unknown_request")
    if not isinstance(currency, str) or currency.upper() != payment.currency:
        raise BadWebhook("amount_mismatch")
    if refunded > payment.amount_paid or refunded < 0:
        raise BadWebhook("amount_mismatch")  # more refunded than was ever paid here
    if LedgerEntry.objects.filter(provider_event_id=event_id).exists():
        return "duplicate"
    new = refunded - payment.amount_refunded
    if new <= 0 or payment.status not in REFUNDABLE:
        return "stale"  # Hisho's own refund echoed back, or an older total arriving late

    previous = payment.status
    payment.amount_refunded = refunded
    payment.status = (
        Status.REFUNDED if refunded >= payment.amount_paid else Status.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["amount_refunded", "status", "updated_at"])
    _book(
        payment,
        kind=LedgerKind.REFUNDED,
        amount=new,
        status_after=payment.status,
        provider_event_id=event_id,
    )
    record_event(
        "payment.refunded",
        actor=None,
        target=payment,
        extra={
            "amount": new,
            "status": payment.status,
            "from": previous,
            "provider": provider,
            "event": REFUNDED,
        },
    )
    _announce(payment)
    return "applied"


def _target(event_type: str, payment_status: Any) -> Status | None:
    if event_type == COMPLETED:
        if payment_status == "paid":
            return Status.PAID
        if payment_status == "unpaid":
            return Status.AWAITING_PAYMENT  # konbini: paid later, at the store
        return None
    return {SUCCEEDED: Status.PAID, FAILED: Status.FAILED, EXPIRED: Status.EXPIRED}.get(event_type)


@transaction.atomic
def do_refund_paid_again(*, actor: None = None, event_id: str) -> bool:
    """Refund in full the second payment recorded by `event_id`, once (the provider is
    asked with an idempotency key of that event, so a retry never refunds twice).
    ProviderError when the provider cannot: the job tries again later
    (`do_retry_paid_again_refund`)."""
    paid = LedgerEntry.objects.filter(
        provider_event_id=event_id, kind=LedgerKind.PAID_AGAIN
    ).first()
    if paid is None:
        return False
    payment = (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=paid.payment_request_id)
    )
    if LedgerEntry.objects.filter(
        kind=LedgerKind.PAID_AGAIN_REFUNDED, provider_payment_id=paid.provider_payment_id
    ).exists():
        return True
    refund_at_provider(
        payment,
        payment_id=paid.provider_payment_id,
        amount=paid.amount,
        idempotency_key=f"hisho-refund-paid-again-{event_id}",
        reference=f"payment_request:{payment.pk}:refund-paid-again:{paid.pk}",
    )
    LedgerEntry.objects.create(
        payment_request=payment,
        kind=LedgerKind.PAID_AGAIN_REFUNDED,
        amount=paid.amount,
        status_after=payment.status,
        session_id=paid.session_id,
        provider_payment_id=paid.provider_payment_id,
    )
    record_event(
        "payment.paid_again_refunded",
        actor=actor,
        target=payment,
        extra={"amount": paid.amount, "provider": payment.provider},
    )
    _announce(payment)
    return True


# When the provider cannot refund (down, timing out, refusing for now), the job tries
# again: after 1 minute, 5, 30, then 2, 6 and 12 hours — about 21 hours in all, well inside
# every provider's refund window. After the last try the second payment stays on the
# ledger without its refund, and the audit log says so for an operator to act on.
REFUND_RETRY_AFTER = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
    dt.timedelta(hours=12),
)


@transaction.atomic
def do_retry_paid_again_refund(
    *, actor: None = None, event_id: str, attempt: int, code: str
) -> bool:
    """The refund of a second payment failed (`code`: the provider's fixed word) on try
    `attempt` (0 for the first): audit it and queue the next try, or give up after the
    last. True when another try is queued."""
    from hisho.payments.tasks import refund_paid_again

    paid = LedgerEntry.objects.filter(
        provider_event_id=event_id, kind=LedgerKind.PAID_AGAIN
    ).first()
    if paid is None:
        return False
    again = attempt < len(REFUND_RETRY_AFTER)
    record_event(
        "payment.paid_again_refund_retry" if again else "payment.paid_again_refund_failed",
        actor=actor,
        target=paid.payment_request,
        extra={"amount": paid.amount, "attempt": attempt + 1, "code": code},
    )
    if again:
        run_after = timezone.now() + REFUND_RETRY_AFTER[attempt]
        refund_paid_again.using(run_after=run_after).enqueue(event_id, attempt + 1)
    else:
        log.error(
            "payments: the second payment of request %s could not be refunded",
            paid.payment_request_id,
        )
    return again
