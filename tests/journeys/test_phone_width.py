"""Phone-sized (issue 17 item 2): every HTML page, for each kind of person and in both
languages, fits a phone screen 360 and 390 px wide: the document is never wider than the
window, so nothing scrolls sideways. All offenders are reported at once. On an errand's
page the chat composer is always on screen, however long the page."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.accounts.models import User
from hisho.demo import load_demo
from hisho.desk.actions import do_post_message
from tests.journeys.every_page import PEOPLE, browser_context, client_for, html_pages

pytestmark = pytest.mark.browser

WIDTHS = [(360, 740), (390, 844)]
MEASURE = "() => [document.documentElement.scrollWidth, window.innerWidth]"
LOCALES = {"en": "en-GB", "ja": "ja-JP"}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_page_fits_a_phone(browser: Any, site: str, language: str) -> None:
    demo = load_demo()
    # Signed-in people see their profile's language; visitors their browser's.
    User.objects.filter(pk__in=[p.pk for p in demo.people.values()]).update(language=language)
    offenders = []
    measured = 0
    for handle in PEOPLE:
        client = client_for(demo, handle)
        pages = html_pages(client, demo)
        width, height = WIDTHS[0]
        context = browser_context(
            browser,
            site,
            client,
            viewport={"width": width, "height": height},
            locale=LOCALES[language],
        )
        page = context.new_page()
        page.goto(site + pages[0])
        signed_in = page.locator("form[action$='/logout/']").count() > 0
        assert signed_in == (handle != "anonymous"), f"{handle}: session not carried over"
        assert page.get_attribute("html", "lang") == language
        for url in pages:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(site + url)
            for w, h in WIDTHS:
                page.set_viewport_size({"width": w, "height": h})
                scroll, inner = page.evaluate(MEASURE)
                measured += 1
                if scroll > inner:
                    offenders.append(f"{handle} {url} at {w} px: {scroll} px wide")
        context.close()
    assert measured > 100
    assert not offenders, "\n".join(offenders)


COMPOSER = """() => {
  const box = document.querySelector("form[data-live-form] textarea").getBoundingClientRect();
  const last = [...document.querySelectorAll("#chat li")].pop().getBoundingClientRect();
  const form = document.querySelector("form[data-live-form]").getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, height: window.innerHeight,
          lastBottom: last.bottom, formTop: form.top};
}"""


def test_the_chat_composer_is_always_in_reach(
    browser: Any, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = load_demo()
    # Nobody is connected: the messages need no live fan-out (which cannot run inside
    # Playwright's event loop anyway).
    monkeypatch.setattr("hisho.desk.live._send", lambda *args, **kwargs: None)
    errand = demo.alice_errand
    for n in range(25):
        do_post_message(actor=demo.people["alice"], errand=errand, body=f"Message {n}")
    for handle in ("alice", "kenji"):
        client = client_for(demo, handle)
        for width, height in WIDTHS:
            context = browser_context(
                browser, site, client, viewport={"width": width, "height": height}
            )
            page = context.new_page()
            page.goto(f"{site}/errands/{errand.pk}/")
            where = f"{handle} at {width} px"
            at_top = page.evaluate(COMPOSER)
            assert at_top["top"] >= 0 and at_top["bottom"] <= at_top["height"], where
            page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
            at_end = page.evaluate(COMPOSER)
            assert at_end["top"] >= 0 and at_end["bottom"] <= at_end["height"], where
            # The page ends above the composer: the newest message is not hidden under it.
            assert at_end["lastBottom"] <= at_end["formTop"], where
            page.fill("textarea[name=body]", "Reached from the bottom of the screen")
            context.close()
