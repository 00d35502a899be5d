"""What an anonymous sender can do with the webhook URL (found by attacking it): nothing
of an unsigned body is read — a body of card-like digits once cost seconds of DLP per
request, before the signature was checked — nothing of it is stored, and it cannot
grow the append-only audit log without bound."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from hisho.audit.models import AuditEvent
from hisho.inbound import scrub
from hisho.payments.actions import webhooks
from tests.payments.conftest import post_webhook, reload, session_event

pytestmark = pytest.mark.django_db

PAN = "4242424242424242"


def rejections() -> list[dict[str, Any]]:
    return [e.extra for e in AuditEvent.objects.filter(event="payment.webhook_rejected")]


def test_an_unsigned_body_is_never_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    """DLP is where the time went; an unsigned body never reaches it."""
    scanned: list[str] = []

    def spy(field: str, value: str, **kw: Any) -> Any:
        scanned.append(value)
        return scrub(field, value, **kw)

    monkeypatch.setattr(webhooks, "scrub", spy)
    body = ("4242 4242 4242 4242 " * 12_000).encode()  # 240 KiB
    response = post_webhook(body, signature=f"t={int(time.time())},v1={'0' * 64}")
    assert response.status_code == 400
    assert scanned == []


def test_a_card_number_in_json_escapes_reaches_no_log_and_no_audit_entry(
    checkout: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in PAN)
    unsigned = ('{"id": "evt_x", "type": "' + escaped + '"}').encode()
    assert post_webhook(unsigned, signature="t=1,v1=00").status_code == 400
    # Signed by the provider itself (a field it echoes): accepted, ignored, not recorded.
    signed = ('{"id": "evt_y", "object": "event", "type": "' + escaped + '"}').encode()
    assert post_webhook(signed).status_code == 200
    assert PAN not in caplog.text
    for entry in AuditEvent.objects.all():
        assert PAN not in json.dumps(entry.extra)


def test_rejections_are_audited_once_a_minute_per_reason_and_always_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    for _ in range(50):
        assert post_webhook(b"x", signature="t=1,v1=00").status_code == 400
    assert post_webhook(b"{}", signature="").status_code == 400
    assert rejections() == [
        {"provider": "sandbox", "reason": "bad_signature", "window_seconds": 60}
    ]
    assert caplog.text.count("payments webhook rejected") == 51


def test_a_signature_dated_in_the_future_is_refused(checkout: dict[str, Any]) -> None:
    body = session_event(
        "checkout.session.completed",
        session_id=checkout["session_id"],
        payment_id=checkout["payment"]["id"],
        amount=5000,
    )
    response = post_webhook(body, timestamp=int(time.time()) + 3600)
    assert response.status_code == 400
    assert reload(checkout["payment"]).status == "open"
    assert post_webhook(body, timestamp=int(time.time()) + 60).status_code == 200  # clock skew


def test_a_cancelled_errands_payment_request_cannot_be_paid(
    demo: Any, api_as: Any, payment: dict[str, Any]
) -> None:
    alice = api_as("alice")
    cancelled = alice.post(f"/errands/{demo.alice_errand.pk}/status", {"status": "cancelled"})
    assert cancelled.status_code == 200
    response = alice.post(f"/payment-requests/{payment['id']}/checkout")
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]
    assert reload(payment).status == "open"


def test_a_second_pay_while_the_first_page_can_be_paid_sends_the_customer_back_to_it(
    checkout: dict[str, Any], api_as: Any
) -> None:
    """Two tabs, or "Pay" again after going back: two pages would both take the money,
    and the second payment was dropped as stale (found by attacking the flow)."""
    from django.test import Client

    from hisho.payments.models import CheckoutSession, SandboxSession

    payment_id = checkout["payment"]["id"]
    again = api_as("alice").post(f"/payment-requests/{payment_id}/checkout")
    assert again.status_code == 200
    assert again.json()["redirect_url"] == checkout["url"]
    assert CheckoutSession.objects.filter(payment_request_id=payment_id).count() == 1
    assert Client().post(f"/sandbox-pay/{checkout['session_id']}/pay/").status_code in (
        200,
        302,
        303,
    )
    assert reload(checkout["payment"]).status == "paid"
    assert SandboxSession.objects.filter(payment_status="paid").count() == 1
    # Paid: no page at all.
    assert api_as("alice").post(f"/payment-requests/{payment_id}/checkout").status_code == 409
