"""Phone-sized (issue 17 item 2): every HTML page, for each kind of person, fits a phone
screen 360 and 390 px wide: the document is never wider than the window, so nothing
scrolls sideways. All offenders are reported at once."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import load_demo
from tests.journeys.every_page import PEOPLE, browser_context, client_for, html_pages

pytestmark = pytest.mark.browser

WIDTHS = [(360, 740), (390, 844)]
MEASURE = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def site(live_server: Any, transactional_db: None) -> str:
    return str(live_server.url)


def test_every_page_fits_a_phone(browser: Any, site: str) -> None:
    demo = load_demo()
    offenders = []
    measured = 0
    for handle in PEOPLE:
        client = client_for(demo, handle)
        pages = html_pages(client, demo)
        width, height = WIDTHS[0]
        context = browser_context(
            browser, site, client, viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.goto(site + pages[0])
        signed_in = page.locator("form[action$='/logout/']").count() > 0
        assert signed_in == (handle != "anonymous"), f"{handle}: session not carried over"
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
