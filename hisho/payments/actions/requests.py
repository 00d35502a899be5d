"""Payment requests: made by an errand's current assignee, paid by its owner on the
provider's hosted page, refunded by the assignee or an admin. Each change is a new
ledger row and an audit event in the same transaction; both parties hear of it live."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.desk import live
from hisho.desk.access import holds_errand
from hisho.desk.actions import do_post_message
from hisho.desk.content import errand_scope
from hisho.desk.models import OPEN_STATUSES, Errand
from hisho.desk.models import Status as ErrandStatus
from hisho.errors import Conflict, InvalidInput, NotFound, Unavailable
from hisho.inbound import scrub
from hisho.payments.access import NOT_FOUND, description_place
from hisho.payments.models import (
    PAYABLE,
    REFUNDABLE,
    CheckoutSession,
    Currency,
    LedgerEntry,
    LedgerKind,
    PaymentRequest,
    Status,
)
from hisho.payments.providers import (
    Checkout,
    CheckoutOrder,
    ProviderError,
    default_provider,
    provider_for,
)
from hisho.vault.sealing import seal
from hisho.zones import speaking_to

DESCRIPTION_MAX = 500
AMOUNT_MAX = 9_999_999  # Stripe's largest JPY amount for a Checkout Session
# The smallest amount each provider accepts (Stripe: ¥50 in JPY).
AMOUNT_MIN = {"stripe": 50, "sandbox": 1}


class ProviderUnavailable(Unavailable):
    """The payment provider refused or could not be reached: nothing was changed. A 503
    with Retry-After (hisho.outages: not the client's fault, and worth a retry)."""


def _announce(payment: PaymentRequest) -> None:
    errand = payment.errand
    if errand is None:
        return
    live.payment_changed(
        errand_id=errand.pk,
        payment_id=payment.pk,
        customer_id=errand.customer_id,
        assignee_id=errand.assignee_id,
    )


def _ledger(payment: PaymentRequest, kind: LedgerKind, *, amount: int = 0, **more: str) -> None:
    LedgerEntry.objects.create(
        payment_request=payment, kind=kind, amount=amount, status_after=payment.status, **more
    )


def chat_line(amount: int, currency: str, description: str) -> str:
    return _("Payment request: ¥{amount} ({currency}) — {description}").format(
        amount=f"{amount:,}", currency=currency, description=description
    )


@transaction.atomic
def do_create_payment_request(
    *, actor: User, errand: Errand, amount: int, currency: str, description: str
) -> PaymentRequest:
    require_role(actor, Role.ASSISTANT, detail="Only the errand's assistant can request a payment.")
    errand = Errand.objects.select_for_update().select_related("customer").get(pk=errand.pk)
    if not holds_errand(actor, errand) or errand.assignee_id != actor.pk:
        raise NotFound("No such errand.")
    if currency != Currency.JPY:
        raise InvalidInput("currency", "Only JPY is supported.")
    provider = default_provider()
    low = AMOUNT_MIN.get(provider.key, 1)
    if not isinstance(amount, int) or isinstance(amount, bool) or not low <= amount <= AMOUNT_MAX:
        raise InvalidInput("amount", f"A whole number of yen from {low} to {AMOUNT_MAX}.")
    text = scrub("description", description, max_length=DESCRIPTION_MAX, required=True)
    if errand.status not in OPEN_STATUSES:
        raise Conflict(f"This errand is {errand.status}; it takes no payment requests.")
    payment_id = uuid.uuid4()
    payment = PaymentRequest.objects.create(
        id=payment_id,
        errand=errand,
        customer_id=errand.customer_id,
        requested_by=actor,
        amount=amount,
        currency=currency,
        sealed_description=seal(errand_scope(errand), description_place(payment_id), text.text),
        provider=provider.key,
    )
    payment.description = text.text  # for the reply, in memory only
    _ledger(payment, LedgerKind.REQUESTED, amount=amount)
    record_event(
        "payment.requested",
        actor=actor,
        target=payment,
        extra={
            "errand_id": errand.pk,
            "amount": amount,
            "currency": currency,
            "provider": provider.key,
            "cards_masked": text.cards_masked,
        },
    )
    # The customer sees it in the chat too (sealed like every message, fanned out live).
    # Written once, in the language of the customer, who is asked to pay (a message is
    # stored as sent, not translated per reader).
    with speaking_to(errand.customer):
        line = chat_line(amount, currency, text.text)
    do_post_message(actor=actor, errand=errand, body=line)
    _announce(payment)
    return payment


# A hosted page stays payable for 24 hours (Stripe's default; the sandbox's too); one a
# little younger than that is sent again rather than replaced.
RESUME_CHECKOUT_FOR = dt.timedelta(hours=23)


def _open_checkout(payment: PaymentRequest, provider: str) -> Checkout | None:
    """The page of the request's latest checkout, while it can still be paid: two tabs,
    or a second "Pay" after going back, must not give the customer two pages to pay —
    both would take the money. A failed or expired request starts a new one."""
    if payment.status != Status.OPEN:
        return None
    latest = (
        CheckoutSession.objects.filter(payment_request=payment)
        .order_by("-created_at", "-pk")
        .first()
    )
    if (
        latest is None
        or not latest.url
        or latest.provider != provider
        or latest.amount != payment.amount
        or latest.currency != payment.currency
        or latest.created_at < timezone.now() - RESUME_CHECKOUT_FOR
    ):
        return None
    return Checkout(session_id=latest.session_id, url=latest.url)


@transaction.atomic
def do_start_checkout(*, actor: User, payment: PaymentRequest, site: str) -> Checkout:
    """A hosted checkout for the errand's owner: the provider is told the amount, the
    currency and Hisho's id for the request — nothing about the person."""
    from hisho.privacy.recipients import recipient

    payment = (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("errand")
        .get(pk=payment.pk)
    )
    errand = payment.errand
    if (
        errand is None
        or payment.customer_id != actor.pk
        or actor.role != Role.CUSTOMER
        or not holds_errand(actor, errand)
    ):
        raise NotFound(NOT_FOUND)
    if payment.status not in PAYABLE:
        raise Conflict(f"This payment request is {payment.status}.")
    # A finished errand may still be paid for (the bill often comes at the end); a
    # cancelled one is not: nothing is owed for an errand the customer called off.
    if errand.status == ErrandStatus.CANCELLED:
        raise Conflict("This errand is cancelled; its payment requests can no longer be paid.")
    provider = provider_for(payment.provider)
    resumed = _open_checkout(payment, provider.key)
    if resumed is not None:
        return resumed
    attempt = CheckoutSession.objects.filter(payment_request=payment).count() + 1
    site = site.rstrip("/")
    order = CheckoutOrder(
        payment_request_id=str(payment.pk),
        amount=payment.amount,
        currency=payment.currency,
        success_url=f"{site}/payments/{payment.pk}/return/?result=success",
        cancel_url=f"{site}/payments/{payment.pk}/return/?result=cancel",
        idempotency_key=f"hisho-checkout-{payment.pk}-{attempt}",
        site=site,
    )
    made: list[Checkout] = []
    try:
        recipient("payment_provider").disclose(
            subject=actor,
            purpose="provide_service",
            data=["payments"],
            reference=f"payment_request:{payment.pk}",
            deliver=lambda: made.append(provider.create_checkout(order)),
        )
    except ProviderError as exc:
        raise ProviderUnavailable(
            f"The payment provider could not start a checkout ({exc.code}). Try again later."
        ) from None
    checkout = made[0]
    CheckoutSession.objects.create(
        session_id=checkout.session_id,
        payment_request=payment,
        provider=provider.key,
        amount=payment.amount,
        currency=payment.currency,
        url=checkout.url,
    )
    previous = payment.status
    if payment.status != Status.OPEN:
        payment.status = Status.OPEN
        payment.save(update_fields=["status", "updated_at"])
    _ledger(payment, LedgerKind.CHECKOUT_STARTED, session_id=checkout.session_id)
    record_event(
        "payment.checkout_started",
        actor=actor,
        target=payment,
        extra={"attempt": attempt, "provider": provider.key, "from": previous},
    )
    if previous != payment.status:
        _announce(payment)
    return checkout


def refund_at_provider(
    payment: PaymentRequest, *, payment_id: str, amount: int, idempotency_key: str, reference: str
) -> None:
    """Ask the request's provider to refund `amount` yen of its payment `payment_id`, with
    an idempotency key, recorded as a disclosure to the provider on the customer's "My
    data" (`reference`). ProviderError when the provider cannot."""
    from hisho.privacy.recipients import recipient

    provider = provider_for(payment.provider)

    def deliver() -> None:
        provider.refund(payment_id=payment_id, amount=amount, idempotency_key=idempotency_key)

    recipient("payment_provider").disclose(
        subject=payment.customer,
        purpose="provide_service",
        data=["payments"],
        reference=reference,
        deliver=deliver,
    )


@transaction.atomic
def do_refund_payment(
    *, actor: User, payment: PaymentRequest, amount: int | None = None
) -> PaymentRequest:
    """Refund all (default) or part of what was paid: the errand's current assignee or an
    admin. Never more than was paid and not yet refunded."""
    payment = (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("errand", "customer")
        .get(pk=payment.pk)
    )
    is_admin = actor.is_active and actor.role == Role.ADMIN
    errand = payment.errand
    is_assignee = (
        errand is not None
        and actor.role == Role.ASSISTANT
        and holds_errand(actor, errand)
        and errand.assignee_id == actor.pk
    )
    if not (is_admin or is_assignee):
        raise NotFound(NOT_FOUND)
    if payment.status not in REFUNDABLE:
        raise Conflict(f"This payment request is {payment.status}; there is nothing to refund.")
    remaining = payment.amount_paid - payment.amount_refunded
    amount = remaining if amount is None else amount
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput("amount", "A whole number of yen above 0.")
    if amount > remaining:
        # A conflict with what was paid so far (the request's state), not a malformed amount.
        raise Conflict(f"At most {remaining} yen can be refunded: more was never paid.")
    attempt = LedgerEntry.objects.filter(payment_request=payment, kind=LedgerKind.REFUNDED).count()
    try:
        refund_at_provider(
            payment,
            payment_id=payment.provider_payment_id,
            amount=amount,
            idempotency_key=f"hisho-refund-{payment.pk}-{attempt + 1}",
            reference=f"payment_request:{payment.pk}:refund:{attempt + 1}",
        )
    except ProviderError as exc:
        if exc.code == "amount_too_large":
            raise InvalidInput("amount", "The provider refused: more than was paid.") from None
        raise ProviderUnavailable(
            f"The payment provider could not refund ({exc.code}). Try again later."
        ) from None
    payment.amount_refunded += amount
    payment.status = (
        Status.REFUNDED
        if payment.amount_refunded >= payment.amount_paid
        else Status.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["amount_refunded", "status", "updated_at"])
    _ledger(payment, LedgerKind.REFUNDED, amount=amount)
    record_event(
        "payment.refunded",
        actor=actor,
        target=payment,
        extra={"amount": amount, "status": payment.status, "as_admin": not is_assignee},
    )
    _announce(payment)
    return payment


@transaction.atomic
def do_unlink_customer_payments(*, actor: User, customer: User) -> int:
    """Erasure (hisho.privacy.actions.erasure): the customer's payment requests keep only
    what the law requires — amount, currency, status, times, the provider's ids and the
    ledger — and lose the customer, the errand and the description."""
    count = 0
    now = timezone.now()
    for payment in PaymentRequest.objects.select_for_update().filter(customer=customer):
        payment.customer = None
        payment.errand = None
        payment.requested_by = None
        payment.sealed_description = None
        payment.unlinked_at = now
        payment.save(
            update_fields=[
                "customer",
                "errand",
                "requested_by",
                "sealed_description",
                "unlinked_at",
                "updated_at",
            ]
        )
        _ledger(payment, LedgerKind.UNLINKED)
        count += 1
    if count:
        record_event(
            "payment.unlinked",
            actor=actor,
            extra={"count": count, "retention_days": settings.HISHO_PAYMENT_RETENTION_DAYS},
        )
    return count


@transaction.atomic
def do_delete_expired_payments(*, now: dt.datetime | None = None) -> int:
    """The retention of policy.yaml (`retention.payments`): a payment unlinked from an
    erased customer is kept for what tax law requires, then deleted — its ledger rows and
    checkout sessions with it. Run daily by the retention job. Returns how many."""
    from hisho.privacy.policy import current_policy

    days = current_policy().retention["payments"].delete_after_days
    if days is None:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    expired = list(
        PaymentRequest.objects.select_for_update()
        .filter(customer__isnull=True, unlinked_at__isnull=False, created_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
    if not expired:
        return 0
    LedgerEntry.objects.filter(payment_request_id__in=expired).delete()
    CheckoutSession.objects.filter(payment_request_id__in=expired).delete()
    PaymentRequest.objects.filter(pk__in=expired).delete()
    record_event("payment.retention_deleted", actor=None, extra={"count": len(expired)})
    return len(expired)
