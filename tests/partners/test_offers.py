"""Offers and outbound links (POLICY O6): submitted by partners, approved by admins,
labelled as ads, targeted only by errand category and only with consent, every link
through /go/<offer id> with a leaving notice, a 303 without referrer and no ids of
people or errands in any URL; clicks reach partners only as DP releases."""

from __future__ import annotations

import re
from typing import Any

from hisho.demo import Demo
from hisho.partners.models import OfferClick
from hisho.privacy.actions import do_set_consent
from hisho.privacy.models import ConsentHow

OFFER = {
    "title": "Ramen tour",
    "body": "Three shops in one evening.",
    "url": "https://partner.example/tour?src=hisho",
    "categories": ["dining"],
    "language": "en",
}


def _approved(api_as: Any, **changes: Any) -> str:
    created = api_as("partner").post("/partner/offers", {**OFFER, **changes})
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending"
    offer_id: str = created.json()["id"]
    assert api_as("admin").post(f"/offers/{offer_id}/approve", {}).status_code == 200
    return offer_id


def test_only_approved_offers_are_shown_and_labelled(api_as: Any) -> None:
    pending = api_as("partner").post("/partner/offers", OFFER).json()["id"]
    assert api_as("alice").get("/offers").json() == []
    approved = _approved(api_as, title="Onsen day trip")
    rejected = api_as("partner").post("/partner/offers", OFFER).json()["id"]
    assert api_as("admin").post(f"/offers/{rejected}/reject", {}).json()["status"] == "rejected"
    assert api_as("admin").post(f"/offers/{rejected}/approve", {}).status_code == 409
    shown = api_as("alice").get("/offers").json()
    assert [o["id"] for o in shown] == [approved]
    assert shown[0]["label"] == "Ad" and shown[0]["link"] == f"/go/{approved}"
    assert shown[0]["rel"] == "sponsored noopener noreferrer"
    assert pending not in str(shown)
    client = api_as("alice")
    client.headers = {**client.headers, "Accept-Language": "ja"}
    assert client.get("/offers").json()[0]["label"] == "広告"


def test_offer_input_is_checked_and_scrubbed(api_as: Any) -> None:
    partner = api_as("partner")
    assert (
        partner.post("/partner/offers", {**OFFER, "url": "javascript:alert(1)"}).status_code == 422
    )
    assert (
        partner.post("/partner/offers", {**OFFER, "url": "https://u:p@x.example/"}).status_code
        == 422
    )
    # The leaving notice must name the site in its CSP, which cannot write an IPv6 literal:
    # such an offer's button could never leave the notice.
    ipv6 = partner.post("/partner/offers", {**OFFER, "url": "https://[2001:db8::1]/tour"})
    assert ipv6.status_code == 422 and ipv6.json()["errors"][0]["field"] == "url"
    assert partner.post("/partner/offers", {**OFFER, "categories": ["weapons"]}).status_code == 422
    assert partner.post("/partner/offers", {**OFFER, "language": "fr"}).status_code == 422
    card = partner.post("/partner/offers", {**OFFER, "body": "Pay with 4111 1111 1111 1111"})
    assert card.status_code == 201
    from hisho.partners.models import Offer

    assert "4111 1111 1111 1111" not in Offer.objects.get(pk=card.json()["id"]).body


def test_targeting_only_by_category_and_only_with_consent(api_as: Any, demo: Demo) -> None:
    alice = demo.people["alice"]
    hers_categories = {demo.alice_errand.category, demo.alice_new_errand.category}
    category = demo.alice_errand.category
    other = next(c for c in ("housing", "paperwork", "health") if c not in hers_categories)
    theirs = _approved(api_as, title="Not for you", categories=[other])
    hers = _approved(api_as, title="For you", categories=[category])
    untargeted = [o["id"] for o in api_as("alice").get("/offers").json()]
    assert untargeted == [hers, theirs]  # same for everyone: newest first
    assert [o["id"] for o in api_as("bob").get("/offers").json()] == untargeted
    do_set_consent(actor=alice, purpose="personalised_offers", granted=True, how=ConsentHow.API)
    assert [o["id"] for o in api_as("alice").get("/offers").json()] == [hers]
    do_set_consent(actor=alice, purpose="personalised_offers", granted=False, how=ConsentHow.API)
    assert [o["id"] for o in api_as("alice").get("/offers").json()] == untargeted


def test_links_go_through_a_leaving_notice_then_303_without_referrer(
    api_as: Any, web_as: Any, demo: Demo
) -> None:
    offer_id = _approved(api_as)
    alice = web_as("alice")
    page = alice.get("/errands/").content.decode()
    link = re.search(r'<a href="(/go/[^"]+)" rel="([^"]+)">Ramen tour</a>', page)
    assert link, "the errands page shows the approved offer"
    assert link.group(2) == "sponsored noopener noreferrer"
    assert 'class="ad-label">Ad<' in page
    notice = alice.get(link.group(1))
    # The notice's button posts to Hisho itself, with its Origin (CSRF needs it), and its
    # redirect to the partner is allowed by CSP form-action; the 303 carries no referrer.
    assert notice.status_code == 200 and notice["Referrer-Policy"] == "same-origin"
    assert "noreferrer" not in re.search(r"<form [^>]*/go/[^>]*>", notice.content.decode())[0]
    form_action = re.search(r"form-action ([^;]*)", notice["Content-Security-Policy"])[1]
    assert "https://partner.example" in form_action.split()
    assert "You are leaving Hisho" in notice.content.decode()
    leave = alice.post(link.group(1))
    assert leave.status_code == 303
    assert leave["Location"] == OFFER["url"]  # nothing added to the partner's address
    assert leave["Referrer-Policy"] == "no-referrer"
    # No person's or errand's id in any URL involved.
    people = {str(p.pk) for p in demo.people.values()}
    for url in (link.group(1), leave["Location"]):
        assert str(demo.alice_errand.pk) not in url
        assert not set(re.findall(r"\d+", url.replace(offer_id, ""))) & people
    assert OfferClick.objects.filter(offer_id=offer_id).count() == 1
    alice.post(link.group(1))  # counted once per person
    assert OfferClick.objects.filter(offer_id=offer_id).count() == 1


def test_the_notice_says_where_the_button_leads(api_as: Any, web_as: Any) -> None:
    # A title may claim anything ("Hisho: confirm your account"); the notice names the
    # site the button goes to, its host in ASCII so a look-alike shows as xn--….
    impostor = _approved(api_as, title="Hisho: confirm your account", url="https://hіsho.example/")
    page = web_as("alice").get(f"/go/{impostor}/").content.decode()
    shown = re.search(r'data-testid="destination">([^<]*)<', page)
    assert shown and shown[1] == "xn--hsho-l9d.example"
    ja = web_as("alice").get(f"/go/{impostor}/", headers={"Accept-Language": "ja"})
    assert "パートナーのサイト" in ja.content.decode()


def test_the_partner_origin_the_notice_allows() -> None:
    from hisho.partners.origins import partner_origin

    assert partner_origin("https://Partner.Example:8443/a?b#c") == "https://partner.example:8443"
    assert partner_origin("http://例え.jp/tour") == "http://xn--r8jz45g.jp"
    assert partner_origin("https://[::1]/") is None  # not named in CSP: the notice stays


def test_unapproved_or_unknown_offers_have_no_link(api_as: Any, web_as: Any) -> None:
    pending = api_as("partner").post("/partner/offers", OFFER).json()["id"]
    for url in (f"/go/{pending}/", "/go/nothing/", "/go/5d0c7a1e-0000-4000-8000-000000000000/"):
        assert web_as("alice").get(url).status_code == 404
        assert web_as("alice").post(url).status_code == 404


def test_clicks_reach_the_partner_only_as_a_release(api_as: Any) -> None:
    offer_id = _approved(api_as)
    released = api_as("partner").post("/partner/reports/offer_clicks/releases", {"epsilon": 1.0})
    assert released.status_code == 201
    assert released.json()["rows"] == []  # one click is far below any group's minimum
    assert offer_id  # and no endpoint lists clicks
