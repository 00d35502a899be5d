"""A partner's offer in headless Chromium: alice sees it labelled "Ad" on her errands,
opens the leaving notice, presses the button and arrives on the partner's site — with no
referrer, and her click counted once (POLICY O6).

The Django test client checks neither CSRF's Origin nor CSP: the notice once sent its
POST under `no-referrer` (so Chromium sent `Origin: null`, and CSRF refused it with a
403) and its CSP form-action allowed only Hisho (so Chromium would have blocked the
redirect to the partner anyway). No offer link could be followed in a browser."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import load_demo
from hisho.partners.actions import do_decide_offer, do_submit_offer
from hisho.partners.models import OfferClick
from tests.journeys.test_browser import sign_in

pytestmark = pytest.mark.browser

PARTNER_URL = "https://partner.example/tour?src=hisho"


@pytest.fixture
def site(site: str) -> str:
    """The demo world loaded on the test database (emptied after each test)."""
    load_demo()
    return site


def test_an_offer_link_leads_to_the_partner_without_referrer(browser: Any, site: str) -> None:
    from hisho.accounts.models import User

    offer = do_submit_offer(
        actor=User.objects.get(email="partner@example.com"),
        title="Ramen tour",
        body="Three shops in one evening.",
        url=PARTNER_URL,
        categories=["dining"],
        language="en",
    )
    do_decide_offer(actor=User.objects.get(email="admin@example.com"), offer=offer, approve=True)

    alice = sign_in(browser, site, "alice@example.com")
    arrived: list[dict[str, str]] = []

    def partner_site(route: Any) -> None:
        arrived.append(dict(route.request.headers))
        route.fulfill(body="<h1>Partner</h1>", content_type="text/html")

    alice.route("https://partner.example/**", partner_site)
    alice.click("a:has-text('Ramen tour')")
    alice.wait_for_selector("text=You are leaving Hisho")
    alice.click("[data-testid=continue]")
    alice.wait_for_url(PARTNER_URL)
    assert len(arrived) == 1
    assert "referer" not in arrived[0]  # nothing about where she came from
    assert OfferClick.objects.filter(offer=offer).count() == 1
