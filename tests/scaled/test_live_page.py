"""The errand page's live chat (hisho/static/hisho/chat.js) in headless Chromium, against
the scaled shape: the page is served by one app process, the other party posts through
the other one, and the message appears without a reload; with websockets blocked the
page polls instead."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hisho.demo import DEMO_PASSWORD
from scripts.scaled import ScaledShape
from tests.scaled.conftest import call

pytestmark = [pytest.mark.scaled, pytest.mark.browser]


def alice_page(browser: Any, shape: ScaledShape, errand: str, *, block_websockets: bool) -> Any:
    context = browser.new_context()
    if block_websockets:
        # As behind a proxy that refuses websocket upgrades.
        context.add_init_script("window.WebSocket = function () { throw new Error('blocked'); };")
    page = context.new_page()
    base = shape.http_url(0)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "alice@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/errands/")
    page.goto(f"{base}/errands/{errand}/")
    # A marker that a reload would wipe: the chat must update in place.
    page.evaluate("window.__notReloaded = true")
    return page


def kenji_posts(shape: ScaledShape, people: dict[str, Any], body: str) -> None:
    status, _ = call(
        "POST",
        f"{shape.http_url(1)}/api/v1/errands/{people['errand']}/messages",
        {"body": body},
        token=people["kenji"],
    )
    assert status == 201


def test_messages_appear_live_and_post_over_the_socket(
    browser: Any, shape: ScaledShape, people: dict[str, Any]
) -> None:
    page = alice_page(browser, shape, people["errand"], block_websockets=False)
    page.wait_for_timeout(500)  # the socket opens
    reply = f"Kenji here, through process B {uuid.uuid4()}"
    kenji_posts(shape, people, reply)
    page.locator("#chat li", has_text=reply).wait_for(timeout=10_000)

    mine = f"Alice, over the socket {uuid.uuid4()}"
    page.fill("textarea[name=body]", mine)
    page.click("form[data-live-form] button[type=submit]")
    page.locator("#chat li.mine", has_text=mine).wait_for(timeout=10_000)
    assert page.input_value("textarea[name=body]") == ""
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#chat li", has_text=mine).count() == 1  # no duplicate from the echo


def test_the_page_polls_when_websockets_are_blocked(
    browser: Any, shape: ScaledShape, people: dict[str, Any]
) -> None:
    page = alice_page(browser, shape, people["errand"], block_websockets=True)
    page.locator(".live-notice").wait_for(timeout=10_000)
    reply = f"Kenji, while the socket is blocked {uuid.uuid4()}"
    kenji_posts(shape, people, reply)
    page.locator("#chat li", has_text=reply).wait_for(timeout=15_000)
    assert page.evaluate("window.__notReloaded") is True
