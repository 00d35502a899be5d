"""The navigation's Menu button (hisho/static/hisho/site.js): on a phone it folds the
navigation away and opens it; on a wider screen the navigation is all there and the
button is not shown (it was, beside the full navigation, at 1280 px)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.journeys.test_browser import site  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_the_menu_button_only_on_narrow_screens(
    browser: Any,
    site: str,  # noqa: F811 - fixture
    width: int,
) -> None:
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{site}/privacy/")
    menu = page.locator("header.top button.menu")
    nav = page.locator("#site-nav")
    if width >= 1280:
        assert not menu.is_visible()
        assert nav.is_visible()
        return
    assert menu.is_visible() and not nav.is_visible()
    menu.click()
    assert nav.is_visible()
    assert menu.get_attribute("aria-expanded") == "true"
