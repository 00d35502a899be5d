"""Payments in headless Chromium: kenji requests a payment on alice's errand; alice pays
by card on the sandbox provider's hosted page and comes back to "Paid"; a konbini
payment stays "awaiting payment" until paid at the store; kenji refunds. And no Hisho
page loads a script from anywhere but Hisho's own origin, nor a frame, during checkout."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from hisho.demo import load_demo
from hisho.payments.models import PaymentRequest
from tests.journeys.test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site: str) -> str:
    """The demo world loaded on the test database (emptied after each test)."""
    load_demo()
    return site


def watch(page: Any, site: str, scripts: list[str], frames: list[str]) -> None:
    origin = urlsplit(site).netloc
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.on(
        "framenavigated",
        lambda f: frames.append(f.url) if f.parent_frame is not None else None,
    )
    assert origin


def request_payment(kenji: Any, errand_url: str, amount: str, what: str) -> None:
    kenji.goto(errand_url)
    kenji.fill("[data-request-payment] input[name=amount]", amount)
    kenji.fill("[data-request-payment] input[name=description]", what)
    kenji.click("[data-request-payment] button[type=submit]")
    kenji.wait_for_selector(f"#payments li:has-text('{what}')")


def test_request_pay_by_card_konbini_and_refund(browser: Any, site: str) -> None:
    scripts: list[str] = []
    frames: list[str] = []
    alice = sign_in(browser, site, "alice@example.com")
    watch(alice, site, scripts, frames)
    alice.click("text=Book a table for 4")
    errand_url = alice.url

    kenji = sign_in(browser, site, "kenji@example.com")
    request_payment(kenji, errand_url, "6500", "Deposit for the restaurant")

    # Alice sees it on the errand page (and in the chat) and pays on the hosted page.
    alice.goto(errand_url)
    row = "#payments li:has-text('Deposit for the restaurant')"
    alice.wait_for_selector(f"{row} [data-payment-status]:has-text('Waiting for payment')")
    assert "Payment request: ¥6,500" in alice.content()
    alice.click(f"{row} button:has-text('Pay')")
    alice.wait_for_url(lambda url: "/sandbox-pay/cs_sandbox_" in url)
    assert "¥6500" in alice.inner_text("[data-testid=sandbox-amount]")
    alice.click("button:has-text('Pay by card')")
    alice.wait_for_url(errand_url)
    alice.wait_for_selector(f"{row} [data-payment-status]:has-text('Paid')")
    assert alice.locator(f"{row} a[data-receipt]").count() == 1

    # Kenji sees it paid too, and refunds ¥1,500.
    kenji.goto(errand_url)
    kenji.wait_for_selector(f"{row} [data-payment-status]:has-text('Paid')")
    kenji.fill(f"{row} input[name=amount]", "1500")
    kenji.click(f"{row} button:has-text('Refund')")
    kenji.wait_for_selector(f"{row} [data-payment-status]:has-text('Partially refunded')")

    # Konbini: awaiting payment until the customer pays at the store.
    request_payment(kenji, errand_url, "3000", "Train tickets")
    alice.goto(errand_url)
    row2 = "#payments li:has-text('Train tickets')"
    alice.click(f"{row2} button:has-text('Pay')")
    alice.wait_for_url(lambda url: "/sandbox-pay/" in url)
    voucher = alice.url
    alice.click("button:has-text('Pay later at a konbini')")
    alice.wait_for_url(errand_url)
    alice.wait_for_selector(f"{row2} [data-payment-status]:has-text('Awaiting payment')")
    store = browser.new_context().new_page()  # the store's till, on the provider's side
    store.goto(voucher)
    store.click("button:has-text('Paid at the konbini')")
    alice.goto(errand_url)
    alice.wait_for_selector(f"{row2} [data-payment-status]:has-text('Paid')")

    statuses = sorted(PaymentRequest.objects.values_list("status", flat=True))
    assert statuses == ["paid", "partially_refunded"]
    # SAQ A shape: every script Hisho's pages (and the sandbox page) loaded came from
    # Hisho's own origin; no frame was ever opened.
    origin = urlsplit(site).netloc
    assert scripts, "the errand page loads its own chat.js"
    assert all(urlsplit(url).netloc == origin for url in scripts), scripts
    assert frames == []
