"""Accessibility (issue 17 item 2): axe-core, pinned by tests/js/package-lock.json and
installed by `make setup-dev` (npm ci), runs in Chromium on every HTML page for each
kind of person — in English at desktop width, in Japanese at phone width (the folded
navigation, the fixed chat composer) — and finds no serious or critical violation.

The site's CSP refuses inline scripts, so axe is not added as a <script> element: its
source is evaluated through the DevTools protocol (page.evaluate), which CSP does not
govern, after the page has loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hisho.accounts.models import User
from hisho.demo import load_demo
from tests.journeys.every_page import PEOPLE, browser_context, client_for, html_pages

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent.parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
# The offline shell is cached by the service worker for everyone: it is in both languages,
# each part marked with its own lang.
BILINGUAL = {"/offline/"}
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


@pytest.mark.parametrize(
    ("language", "width", "height"), [("en", 1280, 900), ("ja", 390, 844)], ids=["en", "ja-phone"]
)
def test_axe_finds_nothing_serious_on_any_page(
    browser: Any, site: str, language: str, width: int, height: int
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: make setup-dev (npm ci --prefix tests/js)")
    source = AXE.read_text()
    demo = load_demo()
    User.objects.filter(pk__in=[p.pk for p in demo.people.values()]).update(language=language)
    found = []
    checked = 0
    for handle in PEOPLE:
        client = client_for(demo, handle)
        context = browser_context(
            browser,
            site,
            client,
            viewport={"width": width, "height": height},
            locale={"en": "en-GB", "ja": "ja-JP"}[language],
        )
        page = context.new_page()
        for url in html_pages(client, demo):
            page.goto(site + url)
            if url not in BILINGUAL:
                assert page.get_attribute("html", "lang") == language, url
            page.evaluate(source)
            assert page.evaluate("() => typeof axe.run") == "function"
            for violation in page.evaluate(RUN):
                found.append(f"{handle} {url}: {violation}")
            checked += 1
        context.close()
    assert checked > 100
    assert not found, "\n".join(found)
