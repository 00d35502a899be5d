"""Payment requests end to end over the API and the sandbox provider's hosted page."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.models import Message
from hisho.payments.models import LedgerEntry, LedgerKind, PaymentRequest
from tests.payments.conftest import reload

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"


def settle(checkout: dict[str, Any], outcome: str) -> Any:
    """Press a button on the sandbox's hosted page (as the customer's browser does)."""
    client = Client()
    page = client.get(f"/sandbox-pay/{checkout['session_id']}/")
    assert page.status_code == 200
    return client.post(f"/sandbox-pay/{checkout['session_id']}/{outcome}/")


def test_the_assignee_requests_a_payment_and_the_customer_sees_it(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    response = api_as("kenji").post(
        f"/errands/{errand.pk}/payment-requests",
        {"amount": 12000, "currency": "JPY", "description": f"Tickets, card {CARD} on file"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["amount"], body["currency"], body["status"]) == (12000, "JPY", "open")
    assert CARD not in body["description"] and "1111" in body["description"]
    assert set(body) >= {
        "id",
        "errand_id",
        "amount",
        "currency",
        "description",
        "status",
        "created_at",
    }
    listed = api_as("alice").get(f"/errands/{errand.pk}/payment-requests").json()
    assert [p["id"] for p in listed] == [body["id"]]
    assert listed[0]["description"] == body["description"]
    # …in the chat too
    chat = api_as("alice").get(f"/errands/{errand.pk}/messages").json()["items"]
    assert "Payment request: ¥12,000" in chat[-1]["body"]
    # Stored sealed: no plaintext description, no card number anywhere in the row.
    row = PaymentRequest.objects.get(pk=body["id"])
    assert b"Tickets" not in bytes(row.sealed_description)
    assert [e.kind for e in row.ledger.all()] == [LedgerKind.REQUESTED]
    assert AuditEvent.objects.filter(event="payment.requested").count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0, "currency": "JPY", "description": "x"},
        {"amount": -5, "currency": "JPY", "description": "x"},
        {"amount": 10, "currency": "USD", "description": "x"},
        {"amount": "10", "currency": "JPY", "description": "x"},
        {"amount": 10, "currency": "JPY", "description": ""},
        {"amount": 10, "currency": "JPY", "description": "x", "extra": 1},
        {"amount": 10, "currency": "JPY", "description": "a\x00b"},
    ],
)
def test_bad_payment_requests_are_422_and_change_nothing(
    body: dict[str, Any], demo: Demo, api_as: Any
) -> None:
    response = api_as("kenji").post(f"/errands/{demo.alice_errand.pk}/payment-requests", body)
    assert response.status_code == 422
    assert not PaymentRequest.objects.exists()


def test_card_payment_on_the_sandbox_page(checkout: dict[str, Any], api_as: Any) -> None:
    assert checkout["url"].startswith("http://testserver/sandbox-pay/cs_sandbox_")
    response = settle(checkout, "pay")
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"/payments/{checkout['payment']['id']}/return/?result=success"
    )
    payment = reload(checkout["payment"])
    assert (payment.status, payment.amount_paid) == ("paid", 5000)
    assert [e.kind for e in payment.ledger.all()] == [
        LedgerKind.REQUESTED,
        LedgerKind.CHECKOUT_STARTED,
        LedgerKind.PAID,
    ]
    # Paid: no second checkout.
    again = api_as("alice").post(f"/payment-requests/{payment.pk}/checkout")
    assert again.status_code == 409


def test_konbini_waits_for_the_cash_payment(checkout: dict[str, Any], api_as: Any) -> None:
    settle(checkout, "later")
    assert reload(checkout["payment"]).status == "awaiting_payment"
    listed = api_as("alice").get(
        f"/errands/{reload(checkout['payment']).errand_id}/payment-requests"
    )
    assert listed.json()[0]["status"] == "awaiting_payment"
    settle(checkout, "konbini-paid")
    payment = reload(checkout["payment"])
    assert (payment.status, payment.amount_paid) == ("paid", 5000)


def test_failed_and_expired_checkouts_can_be_retried(checkout: dict[str, Any], api_as: Any) -> None:
    settle(checkout, "fail")
    assert reload(checkout["payment"]).status == "failed"
    retry = api_as("alice").post(f"/payment-requests/{checkout['payment']['id']}/checkout")
    assert retry.status_code == 200
    assert reload(checkout["payment"]).status == "open"
    session = retry.json()["redirect_url"].rstrip("/").rsplit("/", 1)[-1]
    settle({"session_id": session}, "expire")
    assert reload(checkout["payment"]).status == "expired"


def test_signed_receipt_verifies_with_the_verify_command(
    checkout: dict[str, Any], api_as: Any, tmp_path: Path
) -> None:
    payment_id = checkout["payment"]["id"]
    assert api_as("alice").get(f"/payment-requests/{payment_id}/receipt").status_code == 409
    settle(checkout, "pay")
    response = api_as("alice").get(f"/payment-requests/{payment_id}/receipt")
    assert response.status_code == 200
    document = response.json()
    assert document["payload"]["type"] == "hisho.payment_receipt"
    assert document["payload"]["amount_paid"] == 5000
    assert document["signature"]["alg"] == "Ed25519"
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(document))
    out = StringIO()
    call_command("verify-export", str(path), stdout=out)
    assert "VALID: a Hisho payment receipt" in out.getvalue()
    document["payload"]["amount_paid"] = 50
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="NOT VALID: invalid"):
        call_command("verify-export", str(path))


def test_refunds_by_the_assignee_and_an_admin(checkout: dict[str, Any], api_as: Any) -> None:
    payment_id = checkout["payment"]["id"]
    before = api_as("kenji").post(f"/payment-requests/{payment_id}/refund", {"amount": 100})
    assert before.status_code == 409  # nothing paid yet
    settle(checkout, "pay")
    too_much = api_as("kenji").post(f"/payment-requests/{payment_id}/refund", {"amount": 5001})
    assert too_much.status_code == 409
    assert reload(checkout["payment"]).amount_refunded == 0
    part = api_as("kenji").post(f"/payment-requests/{payment_id}/refund", {"amount": 1500})
    assert part.status_code == 200
    assert (part.json()["status"], part.json()["amount_refunded"]) == ("partially_refunded", 1500)
    rest = api_as("admin").post(f"/payment-requests/{payment_id}/refund", {})
    assert rest.status_code == 200
    assert rest.json()["status"] == "refunded"
    assert rest.json()["description"] is None  # admins never see the sealed description
    refunds = LedgerEntry.objects.filter(payment_request_id=payment_id, kind=LedgerKind.REFUNDED)
    assert [e.amount for e in refunds] == [1500, 3500]
    events = AuditEvent.objects.filter(event="payment.refunded").order_by("id")
    assert [(e.extra["amount"], e.extra["as_admin"]) for e in events] == [
        (1500, False),
        (3500, True),
    ]
    again = api_as("admin").post(f"/payment-requests/{payment_id}/refund", {"amount": 1})
    assert again.status_code == 409


def test_a_retried_refund_refunds_once(checkout: dict[str, Any], api_as: Any) -> None:
    # A client that did not hear the answer (a timeout) sends the refund again with the
    # same Idempotency-Key: the first answer is replayed, the money leaves once. Before,
    # the key was ignored here and each retry refunded again.
    payment_id = checkout["payment"]["id"]
    settle(checkout, "pay")
    for who in ("kenji", "admin"):
        client = api_as(who)
        client.headers = {**client.headers, "Idempotency-Key": f"refund-{who}"}
        answers = [
            client.post(f"/payment-requests/{payment_id}/refund", {"amount": 1000})
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.get("Idempotent-Replayed") for a in answers] == [None, "true", "true"]
    assert reload(checkout["payment"]).amount_refunded == 2000
    refunds = LedgerEntry.objects.filter(payment_request_id=payment_id, kind=LedgerKind.REFUNDED)
    assert [e.amount for e in refunds] == [1000, 1000]


def test_the_ledger_is_append_only(payment: dict[str, Any]) -> None:
    from django.db import DatabaseError, transaction

    entry = LedgerEntry.objects.get(payment_request_id=payment["id"])
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 5000


def test_payments_are_in_the_customers_export(checkout: dict[str, Any], web_as: Any) -> None:
    from hisho.privacy.export import export_payload
    from tests.principals import P

    settle(checkout, "pay")
    alice = reload(checkout["payment"]).customer
    payload = export_payload(P(alice))
    [entry] = payload["payments"]
    assert (entry["id"], entry["amount_paid"], entry["status"]) == (
        checkout["payment"]["id"],
        5000,
        "paid",
    )
    assert entry["description"] == "Deposit for the restaurant"
    assert [row["kind"] for row in entry["ledger"]] == ["requested", "checkout_started", "paid"]


def test_erasure_keeps_only_the_legal_minimum_unlinked(checkout: dict[str, Any]) -> None:
    from hisho.privacy.actions.erasure import do_erase_account

    settle(checkout, "pay")
    payment = reload(checkout["payment"])
    alice = payment.customer
    receipt = do_erase_account(actor=alice)
    assert receipt["payload"]["erased"]["payments_unlinked"] == 1
    kept = PaymentRequest.objects.get(pk=payment.pk)
    assert kept.customer_id is None and kept.errand_id is None
    assert kept.sealed_description is None and kept.requested_by_id is None
    assert (kept.amount, kept.amount_paid, kept.status) == (5000, 5000, "paid")
    assert kept.ledger.last().kind == LedgerKind.UNLINKED  # type: ignore[union-attr]
    assert not Message.objects.filter(errand_id=payment.errand_id).exists()


def test_unlinked_payments_are_deleted_when_their_retention_ends(checkout: dict[str, Any]) -> None:
    """policy.yaml keeps an erased customer's payments 7 years (tax law), then the daily
    retention job deletes them — ledger and checkout sessions too. Linked ones stay."""
    import datetime as dt

    from django.utils import timezone

    from hisho.payments.actions.requests import do_delete_expired_payments
    from hisho.privacy.actions.erasure import do_erase_account
    from hisho.privacy.policy import current_policy

    settle(checkout, "pay")
    payment = reload(checkout["payment"])
    days = current_policy().retention["payments"].delete_after_days
    assert days == 2557
    do_erase_account(actor=payment.customer)
    now = timezone.now()
    assert do_delete_expired_payments(now=now + dt.timedelta(days=days - 1)) == 0
    assert PaymentRequest.objects.filter(pk=payment.pk).exists()
    assert do_delete_expired_payments(now=now + dt.timedelta(days=days, hours=1)) == 1
    assert not PaymentRequest.objects.filter(pk=payment.pk).exists()
    assert not LedgerEntry.objects.filter(payment_request_id=payment.pk).exists()


def test_the_chat_line_of_a_request_is_in_the_customers_language(demo: Demo, api_as: Any) -> None:
    # It was English whatever the customer read: a Japanese customer saw
    # "Payment request: ¥12,000 (JPY) — …" in an otherwise Japanese chat.
    from hisho.accounts.models import User

    User.objects.filter(pk=demo.people["alice"].pk).update(language="ja")
    errand = demo.alice_errand
    response = api_as("kenji").post(
        f"/errands/{errand.pk}/payment-requests",
        {"amount": 12000, "currency": "JPY", "description": "予約金"},
    )
    assert response.status_code == 201
    chat = api_as("alice").get(f"/errands/{errand.pk}/messages").json()["items"]
    assert chat[-1]["body"] == "お支払いのご依頼：¥12,000（JPY）— 予約金"


def test_the_errand_page_writes_amounts_with_thousands_separators(
    demo: Demo, api_as: Any, web_as: Any
) -> None:
    # The list showed "¥12000" while the chat line beside it said "¥12,000".
    errand = demo.alice_errand
    api_as("kenji").post(
        f"/errands/{errand.pk}/payment-requests",
        {"amount": 12000, "currency": "JPY", "description": "Tickets"},
    )
    html = web_as("alice").get(f"/errands/{errand.pk}/").content.decode()
    assert "<strong>¥12,000</strong>" in html and "¥12000" not in html
