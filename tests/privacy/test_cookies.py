"""Cookie choices and Global Privacy Control (POLICY K10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from hisho.privacy.middleware import CookieGateMiddleware
from hisho.privacy.models import ConsentRecord, PageCount
from hisho.privacy.policy import current_policy

pytestmark = pytest.mark.django_db

CHOICE = "hisho_cookie_choice"


def necessary() -> frozenset[str]:
    return current_policy().necessary_cookie_names()


@pytest.mark.parametrize("path", ["/", "/privacy/", "/accounts/login/", "/accounts/signup/"])
def test_a_fresh_visitors_first_response_sets_only_necessary_cookies(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert set(response.cookies) <= necessary() - {CHOICE}
    html = response.content.decode()
    assert 'data-testid="cookie-banner"' in html


def test_banner_offers_accept_and_reject_all_side_by_side() -> None:
    html = Client().get("/").content.decode()
    banner = html[html.index('data-testid="cookie-banner"') :]
    form = banner[banner.index("<form") : banner.index("</form>")]
    assert 'value="accept"' in form and 'value="reject"' in form
    assert "checked" not in banner
    assert 'href="/privacy/cookies/"' in banner


def test_reject_all_is_remembered_and_nothing_is_counted() -> None:
    client = Client()
    client.get("/")
    response = client.post("/privacy/cookies/", {"choice": "reject", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[CHOICE].value == "reject"
    html = client.get("/").content.decode()
    assert 'data-testid="cookie-banner"' not in html
    client.get("/privacy/")
    assert not PageCount.objects.exists()


def test_accept_counts_pages_without_any_cookie_or_person() -> None:
    client = Client()
    response = client.post("/privacy/cookies/", {"choice": "accept", "from": "banner"})
    assert set(response.cookies) <= necessary()
    client.get("/privacy/")
    client.get("/privacy/")
    count = PageCount.objects.get(route="privacy/")
    assert count.count == 2
    # Changing one's mind on the settings page stops it.
    client.post("/privacy/cookies/", {"choice": "reject"})
    client.get("/privacy/")
    assert PageCount.objects.get(route="privacy/").count == 2


def test_gpc_is_a_refusal_of_everything_optional() -> None:
    client = Client(headers={"Sec-GPC": "1"})
    html = client.get("/").content.decode()
    assert 'data-testid="cookie-banner"' not in html  # the signal already answered
    client.post("/privacy/cookies/", {"choice": "accept"})  # even an explicit accept
    client.get("/privacy/")
    assert not PageCount.objects.exists()
    page = client.get("/privacy/cookies/").content.decode()
    assert 'data-testid="gpc-note"' in page and "Now: not allowed." in page


def test_gpc_withdraws_a_signed_in_persons_consents(web_as: Any, api_as: Any) -> None:
    api_as("alice").put("/me/consents/surveys", {"granted": True})
    api_as("alice").put("/me/consents/usage_analytics", {"granted": True})
    client = web_as("alice")
    client.get("/errands/", headers={"Sec-GPC": "1"})
    granted = {s["purpose"]: s for s in api_as("alice").get("/me/consents").json()}
    assert granted["surveys"]["granted"] is False
    assert granted["usage_analytics"]["how"] == "gpc"
    # Once per session: a later grant in the same session stands until the next one.
    records = ConsentRecord.objects.count()
    client.get("/errands/", headers={"Sec-GPC": "1"})
    assert ConsentRecord.objects.count() == records


def test_a_signed_in_persons_banner_answer_is_their_consent(web_as: Any, api_as: Any) -> None:
    client = web_as("bob")
    assert 'data-testid="cookie-banner"' in client.get("/errands/").content.decode()
    client.post("/privacy/cookies/", {"choice": "accept", "from": "banner"})
    record = ConsentRecord.objects.get(purpose="usage_analytics")
    assert record.granted and record.how == "cookie_banner"
    # The app sees the same answer; withdrawing there stops counting in the browser too.
    api_as("bob").put("/me/consents/usage_analytics", {"granted": False})
    client.get("/errands/")
    assert not PageCount.objects.filter(route="errands/").exists()


def test_bad_choice_changes_nothing() -> None:
    response = Client().post("/privacy/cookies/", {"choice": "sure"})
    assert response.status_code == 302 and CHOICE not in response.cookies
    response = Client().post(
        "/privacy/cookies/", {"choice": "accept", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/privacy/cookies/"


def test_the_gate_drops_undeclared_cookies() -> None:
    def view(request: Any) -> HttpResponse:
        response = HttpResponse("ok")
        response.set_cookie("tracker", "1")
        response.set_cookie("csrftoken", "x")
        return response

    request = RequestFactory().get("/")
    response = CookieGateMiddleware(view)(request)
    assert set(response.cookies) == {"csrftoken"}


def test_a_background_fetch_never_overwrites_the_visitors_answer() -> None:
    """The service worker caches the offline page while the first page loads; when that
    fetch ends after the visitor clicked "Reject all", its response must not carry an
    "asked" that would replace "reject" in the browser."""
    client = Client()
    client.get("/")
    cached = client.get(
        "/offline/",
        headers={
            "Referer": "http://testserver/sw.js",
            "Sec-Fetch-Mode": "same-origin",
            "Sec-Fetch-Dest": "empty",
        },
    )
    assert cached.status_code == 200 and CHOICE not in cached.cookies
    went = client.get(
        "/privacy/",
        headers={"Referer": "http://testserver/", "Sec-Fetch-Mode": "navigate"},
    )
    assert went.cookies[CHOICE].value == "asked"


def test_the_cookie_question_is_asked_once_not_under_every_page() -> None:
    client = Client()
    first = client.get("/")
    assert 'data-testid="cookie-banner"' in first.content.decode()
    assert CHOICE not in first.cookies  # the first response makes no choice
    # The visitor goes on to another page without answering: not asked again.
    second = client.get("/privacy/", headers={"Referer": "http://testserver/"})
    assert 'data-testid="cookie-banner"' not in second.content.decode()
    assert second.cookies[CHOICE].value == "asked"
    third = client.get("/accounts/login/")
    assert 'data-testid="cookie-banner"' not in third.content.decode()
    # Not an answer: nothing optional is allowed, and the settings page still asks.
    client.get("/privacy/")
    assert not PageCount.objects.exists()
    assert 'value="accept"' in client.get("/privacy/cookies/").content.decode()


def test_an_accept_given_for_an_older_definition_is_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new version that changes the counting purpose (more data, another recipient)
    leaves no answer for it (hisho.privacy.consents): a browser's "accept" from before
    must not go on counting, and the banner asks again."""
    from hisho.privacy.policy import Policy

    client = Client()
    client.post("/privacy/cookies/", {"choice": "accept", "from": "banner"})
    client.get("/privacy/")
    assert PageCount.objects.get(route="privacy/").count == 1

    widened = Policy.purpose_fingerprint

    def changed(self: Policy, key: str) -> str:
        return widened(self, key) + ("-widened" if key == "usage_analytics" else "")

    monkeypatch.setattr(Policy, "purpose_fingerprint", changed)
    html = client.get("/privacy/").content.decode()
    assert PageCount.objects.get(route="privacy/").count == 1
    assert 'data-testid="cookie-banner"' in html
    client.post("/privacy/cookies/", {"choice": "accept", "from": "banner"})
    client.get("/privacy/")
    assert PageCount.objects.get(route="privacy/").count == 2


def test_the_cookie_settings_page_explains_each_cookie_in_the_readers_language() -> None:
    # The page's own text was Japanese while the table of cookies stayed English.
    html = Client(headers={"accept-language": "ja"}).get("/privacy/cookies/").content.decode()
    assert "サインイン状態を保つため。" in html
    assert "Keeps you signed in." not in html
    english = Client(headers={"accept-language": "en"}).get("/privacy/cookies/").content.decode()
    assert "Keeps you signed in." in english
