"""Facebook sign-in against recorded Graph API answers, replayed at the HTTP layer
(`responses` patches `requests`, which allauth uses): any request not in the recording
fails, so nothing leaves the machine (POLICY K2).

What is proven: what Facebook returned is stored and shown to the person; the friends
list is kept only when they granted `user_friends` (and asked for only when the operator
turned it on); an invalid token or a forged state signs nobody in (ASVS
v5.0.0-6.8.2, 10.2.1); a provider-only account cannot delete its only way in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from allauth.socialaccount.models import SocialAccount
from django.test import Client, override_settings

from hisho.accounts.models import Role, User
from hisho.accounts.providers import FACEBOOK_FRIENDS_SCOPE, social_providers_from_env
from hisho.demo import Demo
from tests.openapi import ApiClient

GRAPH = "https://graph.facebook.com/v19.0"
APP_ID, APP_SECRET = "1234567890", "facebook-app-secret-recorded"
RECORDED = json.loads(
    (Path(__file__).parent / "recordings" / "facebook_graph_v19.json").read_text()
)


def _providers(*, ask_friends: bool) -> dict[str, Any]:
    providers = social_providers_from_env()
    providers["facebook"]["APPS"] = [{"client_id": APP_ID, "secret": APP_SECRET, "key": ""}]
    if ask_friends:
        providers["facebook"]["SCOPE"] = [*providers["facebook"]["SCOPE"], FACEBOOK_FRIENDS_SCOPE]
    return providers


@pytest.fixture
def graph() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{GRAPH}/oauth/access_token", json=RECORDED["app_token"])
        mock.get(f"{GRAPH}/me", json=RECORDED["me"])
        mock.get(f"{GRAPH}/me/friends", json=RECORDED["friends"])
        yield mock


def _called(mock: responses.RequestsMock, path: str) -> int:
    return sum(1 for call in mock.calls if urlsplit(call.request.url).path == f"/v19.0{path}")


def app_login(access_token: str = RECORDED["user_token"]["access_token"]) -> Any:
    return Client().post(
        "/_allauth/app/v1/auth/provider/token",
        json.dumps(
            {
                "provider": "facebook",
                "process": "login",
                "token": {"client_id": APP_ID, "access_token": access_token},
            }
        ),
        content_type="application/json",
    )


def test_friends_are_kept_only_when_granted(graph: responses.RequestsMock, demo: Demo) -> None:
    graph.get(f"{GRAPH}/debug_token", json=RECORDED["debug_token"])
    graph.get(f"{GRAPH}/me/permissions", json=RECORDED["permissions_granted"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=True)):
        response = app_login()
    assert response.status_code == 200, response.content
    user = User.objects.get(email="fumiko@example.org")
    assert user.role == Role.CUSTOMER
    received = SocialAccount.objects.get(user=user, provider="facebook").extra_data
    assert received["name"] == "Fumiko Tanaka" and received["email"] == "fumiko@example.org"
    assert [f["name"] for f in received["friends"]["data"]] == ["Haruto Sato", "Yui Suzuki"]
    assert received["friends"]["total_count"] == 214
    # Every Graph call proved the app's secret (appsecret_proof), none went elsewhere.
    assert all(
        "appsecret_proof" in (c.request.url or "")
        for c in graph.calls
        if "/me" in (c.request.url or "")
    )
    # Shown to the person, in the API and on the page.
    api = ApiClient(response.json()["meta"]["session_token"])
    listed = api.get("/me/connected-accounts").json()
    assert listed[0]["provider"] == "facebook" and listed[0]["uid"] == "10158000000000001"
    assert listed[0]["received"]["friends"]["data"][1]["name"] == "Yui Suzuki"
    web = Client()
    web.force_login(user)
    page = web.get("/me/connected/").content.decode()
    assert "Haruto Sato" in page and "Fumiko Tanaka" in page


def test_declined_friends_are_not_fetched(graph: responses.RequestsMock, demo: Demo) -> None:
    graph.get(f"{GRAPH}/debug_token", json=RECORDED["debug_token"])
    graph.get(f"{GRAPH}/me/permissions", json=RECORDED["permissions_declined"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=True)):
        assert app_login().status_code == 200
    received = SocialAccount.objects.get(provider="facebook").extra_data
    assert "friends" not in received
    assert _called(graph, "/me/permissions") == 1 and _called(graph, "/me/friends") == 0


def test_friends_are_not_asked_for_by_default(graph: responses.RequestsMock, demo: Demo) -> None:
    graph.get(f"{GRAPH}/debug_token", json=RECORDED["debug_token"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=False)):
        assert app_login().status_code == 200
    assert "friends" not in SocialAccount.objects.get(provider="facebook").extra_data
    assert _called(graph, "/me/permissions") == 0 and _called(graph, "/me/friends") == 0


def test_an_invalid_token_signs_nobody_in(graph: responses.RequestsMock, demo: Demo) -> None:
    graph.get(f"{GRAPH}/debug_token", json=RECORDED["debug_token_invalid"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=True)):
        assert app_login("EAAB-stolen-or-expired").status_code == 400
    assert not User.objects.filter(email="fumiko@example.org").exists()
    assert _called(graph, "/me") == 0


def test_web_sign_in_with_state_and_a_forged_state(
    graph: responses.RequestsMock, demo: Demo
) -> None:
    graph.get(f"{GRAPH}/me/permissions", json=RECORDED["permissions_declined"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=False)):
        browser = Client()
        start = browser.post("/accounts/facebook/login/", {"process": "login"})
        assert start.status_code == 302
        dialog = urlsplit(start["Location"])
        assert dialog.netloc == "www.facebook.com"
        state = parse_qs(dialog.query)["state"][0]
        forged = browser.get(
            "/accounts/facebook/login/callback/", {"code": "recorded-code", "state": "forged"}
        )
        assert forged.status_code == 401 and browser.get("/api/v1/me").status_code == 401
        graph.replace(responses.GET, f"{GRAPH}/oauth/access_token", json=RECORDED["user_token"])
        done = browser.get(
            "/accounts/facebook/login/callback/", {"code": "recorded-code", "state": state}
        )
        assert done.status_code == 302, done.content
    assert browser.get("/api/v1/me").json()["email"] == "fumiko@example.org"


def test_the_only_way_in_cannot_be_removed(graph: responses.RequestsMock, demo: Demo) -> None:
    """Deleting what Facebook sent is disconnecting it; for someone who has no password
    that would lock them out, so it is refused until they set one."""
    graph.get(f"{GRAPH}/debug_token", json=RECORDED["debug_token"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=False)):
        response = app_login()
    api = ApiClient(response.json()["meta"]["session_token"])
    account_id = api.get("/me/connected-accounts").json()[0]["id"]
    # Signed in a moment ago: recent enough to delete, but it is the only way in.
    assert api.delete(f"/me/connected-accounts/{account_id}").status_code == 409
    user = User.objects.get(email="fumiko@example.org")
    user.set_password("a-new-passphrase-2026")
    user.save(update_fields=["password"])
    # A new password ends every session (Django's session hash): sign in again.
    assert api.get("/me").status_code == 401
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=False)):
        api = ApiClient(app_login().json()["meta"]["session_token"])
    assert api.delete("/me/connected-accounts/999999").status_code == 404
    assert api.delete(f"/me/connected-accounts/{account_id}").status_code == 200
    assert not SocialAccount.objects.filter(user=user).exists()


def test_card_numbers_in_what_facebook_returns_are_masked(
    graph: responses.RequestsMock, demo: Demo
) -> None:
    """A profile or a friend's name holding a card number (however it is typed) is kept
    masked: allauth saves extra_data itself, so the row's save is where DLP happens."""
    me = {**RECORDED["me"], "about": "card 4111 1111-1111 1111 exp 12/29"}
    friends = {
        **RECORDED["friends"],
        "data": [{"id": "1", "name": "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"}],
    }
    graph.replace(responses.GET, f"{GRAPH}/me", json=me)
    graph.replace(responses.GET, f"{GRAPH}/me/friends", json=friends)
    graph.get(f"{GRAPH}/debug_token", json=RECORDED["debug_token"])
    graph.get(f"{GRAPH}/me/permissions", json=RECORDED["permissions_granted"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=True)):
        assert app_login().status_code == 200
        assert app_login().status_code == 200  # an existing account: allauth saves again
    stored = SocialAccount.objects.get(provider="facebook").extra_data
    assert stored["about"] == "card [card ••••1111] exp 12/29"
    assert stored["friends"]["data"][0]["name"] == "[card ••••1111]"
    assert "4111" not in json.dumps(stored)


def test_a_sign_up_waiting_for_its_form_keeps_no_card_number_in_the_session(
    graph: responses.RequestsMock, demo: Demo
) -> None:
    """Without an e-mail from Facebook the sign-up form is asked for, and allauth keeps all
    Facebook returned in the session meanwhile: masked there as in the row it becomes."""
    from tests.security.test_sessions import card_digits_in_sessions

    me = {k: v for k, v in RECORDED["me"].items() if k != "email"}
    me |= {"about": "card 4111 1111 1111 1111", "first_name": "Fumiko 4111111111111111"}
    graph.replace(responses.GET, f"{GRAPH}/me", json=me)
    graph.get(f"{GRAPH}/me/permissions", json=RECORDED["permissions_declined"])
    with override_settings(SOCIALACCOUNT_PROVIDERS=_providers(ask_friends=False)):
        browser = Client()
        start = browser.post("/accounts/facebook/login/", {"process": "login"})
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        graph.replace(responses.GET, f"{GRAPH}/oauth/access_token", json=RECORDED["user_token"])
        back = browser.get(
            "/accounts/facebook/login/callback/", {"code": "recorded-code", "state": state}
        )
        assert back.status_code == 302 and back["Location"] == "/accounts/3rdparty/signup/"
        assert card_digits_in_sessions() == []
        # The sign-up still completes, with the provider's id as it sent it.
        done = browser.post("/accounts/3rdparty/signup/", {"email": "fumiko@example.org"})
        assert done.status_code == 302, done.content
    account = SocialAccount.objects.get(provider="facebook")
    assert account.uid == RECORDED["me"]["id"]
    assert account.extra_data["about"] == "card [card ••••1111]"
    assert card_digits_in_sessions() == []
