"""Journeys in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
sign up → create an errand; an admin assigns it; the assistant replies; the customer
sees the reply and who handles the errand."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
from tests.conftest import totp_code

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site: str) -> str:
    """The demo world loaded on the test database (emptied after each test)."""
    load_demo()
    return site


def sign_in(browser: Any, site: str, email: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(("/errands/", "/accounts/2fa/authenticate/")))
    if page.url.endswith("/accounts/2fa/authenticate/"):
        # Staff have TOTP enrolled (demo secret): the login page asks for a code.
        page.fill("input[name=code]", totp_code(DEMO_TOTP_SECRET))
        page.click("main button[type=submit]")
        page.wait_for_url(f"{site}/errands/")
    return page


def test_sign_up_errand_assign_reply(browser: Any, site: str) -> None:
    # A visitor signs up with nothing but an e-mail and a password.
    carol = browser.new_context().new_page()
    carol.goto(f"{site}/")
    carol.click("text=Sign up with your e-mail")
    carol.fill("input[name=email]", "carol@example.com")
    carol.fill("input[name=password1]", "carol-passphrase-2026")
    carol.fill("input[name=password2]", "carol-passphrase-2026")
    carol.click("main button[type=submit]")
    carol.wait_for_url(f"{site}/errands/")

    # …and asks for help, with a sealed phone number.
    carol.click("main >> text=New errand")
    carol.fill("input[name=title]", "Find a hairdresser who speaks English")
    carol.fill("textarea[name=details]", "Near Shinjuku, Saturday morning.")
    carol.fill("input[name=phone]", "080-5555-0101")
    # What coordinators will see: a category and a note, labelled as theirs.
    assert "Visible to our coordinators" in carol.content()
    carol.select_option("select[name=category]", label="Shopping and deliveries")
    carol.fill("textarea[name=triage_note]", "A salon visit on Saturday, call 090-2222-3333")
    carol.click("main button:has-text('Send errand')")
    carol.wait_for_selector("text=Waiting for an assistant")
    errand_url = carol.url

    # An admin sees only the triage view and assigns Kenji.
    admin = sign_in(browser, site, "admin@example.com")
    admin.goto(errand_url)
    assert "Triage view" in admin.content()
    assert "Shopping and deliveries" in admin.content()
    assert "A salon visit on Saturday, call [phone]" in admin.content()  # DLP'd note
    for secret in ("080-5555-0101", "090-2222-3333", "Saturday morning", "hairdresser"):
        assert secret not in admin.content()
    admin.select_option("select[name=assistant_id]", label="Kenji")
    admin.click("main button:has-text('Assign'):not(:has-text('least'))")
    admin.wait_for_selector("text=Assigned to Kenji.")

    # Kenji sees the full errand and the sealed phone, and replies.
    kenji = sign_in(browser, site, "kenji@example.com")
    kenji.click("text=A salon visit on Saturday")  # his list shows triage cards
    assert "080-5555-0101" in kenji.content()
    kenji.fill("textarea[name=body]", "I found two salons with English-speaking staff.")
    kenji.click("main button:has-text('Send')")
    kenji.wait_for_selector("text=I found two salons")
    kenji.click("main button:has-text('Start working')")
    kenji.wait_for_selector("[data-testid=status]:has-text('In progress')")

    # Carol sees the reply and who handles her errand.
    carol.goto(errand_url)
    assert "I found two salons with English-speaking staff." in carol.content()
    assert "Handled by Kenji" in carol.content()

    # Yuki, another assistant, cannot open it.
    yuki = sign_in(browser, site, "yuki@example.com")
    assert yuki.goto(errand_url).status == 404


def test_pages_are_styled(browser: Any, site: str) -> None:
    page = browser.new_context().new_page()
    response = page.goto(f"{site}/static/hisho/site.css")
    assert response.status == 200 and "text/css" in response.headers["content-type"]
    page.goto(f"{site}/")
    background = page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 255, 255)"


def test_the_errand_form_speaks_japanese(browser: Any, site: str) -> None:
    """A Japanese-speaking customer sees the category and the note for coordinators, and
    who will read that note, in Japanese; the admin sees the category in their language."""
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=login]", "bob@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{site}/errands/")
    page.goto(f"{site}/errands/new/")
    html = page.content()
    assert "用件の種類" in html and "担当者選びのためのメモ" in html
    assert "コーディネーター" in html  # who reads the note
    options = page.locator("select[name=category] option").all_inner_texts()
    assert "住まい" in options and "医療・健康" in options
    page.fill("input[name=title]", "区役所で転入届を出したい")
    page.select_option("select[name=category]", label="書類・手続き")
    page.fill("textarea[name=triage_note]", "平日の午前中に同行希望")
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=category]:has-text('書類・手続き')")
    admin = sign_in(browser, site, "admin@example.com")
    admin.goto(page.url)
    assert "Paperwork" in admin.content() and "平日の午前中に同行希望" in admin.content()
    assert "転入届" not in admin.content()
