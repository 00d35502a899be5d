"""The privacy journey in headless Chromium (Debian's /usr/bin/chromium via Playwright):
a visitor rejects cookies, signs in, creates an errand, downloads her signed export and
erases her account (re-entering her password first), and keeps the signed receipt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hisho.accounts.models import User
from hisho.demo import DEMO_PASSWORD, load_demo
from hisho.privacy.signatures import verify
from tests.privacy.test_export import validate

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site: str) -> str:
    """The demo world loaded on the test database (emptied after each test)."""
    load_demo()
    return site


def test_reject_cookies_errand_export_erase(browser: Any, site: str, tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()

    # A fresh visit: only necessary cookies, and the question on the first page.
    page.goto(f"{site}/")
    assert {c["name"] for c in context.cookies()} <= {"csrftoken", "sessionid"}
    banner = page.locator("[data-testid=cookie-banner]")
    assert banner.is_visible()
    banner.locator("button:has-text('Reject all')").click()
    page.wait_for_selector("text=Your cookie choice is saved.")
    assert page.locator("[data-testid=cookie-banner]").count() == 0
    choice = {c["name"]: c["value"] for c in context.cookies()}
    assert choice["hisho_cookie_choice"] == "reject"

    # Alice signs in and asks for help, with a sealed phone number.
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=login]", "alice@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{site}/errands/")
    page.click("main >> text=New errand")
    page.fill("input[name=title]", "Return a parcel to the post office")
    page.fill("input[name=phone]", "080-7777-0202")
    page.click("main button:has-text('Send errand')")
    page.wait_for_selector("text=Waiting for an assistant")

    # She downloads everything Hisho holds about her — after entering her password
    # again (allauth's re-authentication) — signed, and valid.
    page.goto(f"{site}/me/data/")
    page.click("[data-testid=export]")
    page.wait_for_url(lambda url: "/accounts/reauthenticate/" in url)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_download() as download_info:
        page.click("main button[type=submit]")
    export_file = tmp_path / "export.json"
    download_info.value.save_as(export_file)
    export = json.loads(export_file.read_text())
    validate(export)
    payload = verify(export)
    titles = [errand["title"] for errand in payload["errands"]]
    assert "Return a parcel to the post office" in titles
    assert any(errand["sealed"]["phone"] == "080-7777-0202" for errand in payload["errands"])

    # She erases her account (she re-authenticated a moment ago, so she is not asked
    # again) and keeps the receipt.
    page.goto(f"{site}/me/erase/")
    page.check("input[name=confirm]")
    page.click("main button:has-text('Erase my account')")
    page.wait_for_selector("text=Your account is erased")
    with page.expect_download() as receipt_info:
        page.click("[data-testid=receipt-download]")
    receipt_file = tmp_path / "receipt.json"
    receipt_info.value.save_as(receipt_file)
    receipt = json.loads(receipt_file.read_text())
    validate(receipt, "erasure-receipt")
    assert verify(receipt)["erased"]["errands"] == 3
    assert not User.objects.filter(email="alice@example.com").exists()

    # She is signed out, and her account no longer signs in.
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=login]", "alice@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    assert page.url.endswith("/accounts/login/")
