"""Sign-in with an OpenID Connect provider, end to end, with no internet (POLICY K2).

The provider is real: allauth.idp.oidc in a second Django project, in its own process on
127.0.0.1 (tests/security/oidc_op/). Hisho talks to it over HTTP exactly as it talks to
Google: discovery, authorization request with state, PKCE (S256) and nonce, code
exchange, ID-token checks — through allauth's OpenID Connect provider with Hisho's
nonce/issuer checks (hisho/accounts/social.py). The "browser" is Django's test client on
Hisho's side and a requests session on the provider's side.

ASVS: v5.0.0-10.1.2 (values bound to the session and transaction), 10.2.1 (state and
PKCE), 10.5.1 (nonce), 10.5.3 (issuer), 10.5.4 (audience), 6.8.1 (no takeover through
another provider's e-mail), 6.8.2 (signatures checked).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client, override_settings

from hisho.accounts.models import Role, User
from hisho.accounts.providers import oidc_app, social_providers_from_env
from hisho.demo import DEMO_PASSWORD, Demo
from tests.openapi import ApiClient
from tests.security.conftest import (
    OIDC_CALLBACK,
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    OIDC_PROVIDER_ID,
    OP_PEOPLE,
)

LOGIN = f"/accounts/oidc/{OIDC_PROVIDER_ID}/login/"


@pytest.fixture
def oidc_configured(oidc_op: str) -> Iterator[str]:
    providers = social_providers_from_env()
    providers["openid_connect"]["APPS"] = [
        oidc_app(
            name="Local OP",
            server_url=oidc_op,
            client_id=OIDC_CLIENT_ID,
            secret=OIDC_CLIENT_SECRET,
            provider_id=OIDC_PROVIDER_ID,
        )
    ]
    with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
        yield oidc_op


def start(client: Client, process: str = "login") -> str:
    """Press "Continue with …": Hisho answers with a redirect to the provider."""
    response = client.post(LOGIN, {"process": process})
    assert response.status_code == 302, response.content
    return str(response["Location"])


def authorize_at_op(authorize_url: str, person: str) -> str:
    """Sign in at the provider as `person`; returns the callback path (with code, state)."""
    op = requests.Session()
    response = op.get(authorize_url, allow_redirects=False, timeout=10)
    url = authorize_url
    for _ in range(6):
        assert response.status_code == 302, response.text[:500]
        location = urljoin(url, response.headers["Location"])
        if location.startswith(OIDC_CALLBACK):
            return location.removeprefix("http://testserver")
        url = location
        response = op.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "/accounts/login/" in url:
            who = OP_PEOPLE[person]
            response = op.post(
                url,
                data={
                    "login": who["email"],
                    "password": who["password"],
                    "csrfmiddlewaretoken": op.cookies["csrftoken"],
                },
                allow_redirects=False,
                timeout=10,
            )
    raise AssertionError("the provider never redirected back to Hisho")


def params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def signed_in_as(client: Client) -> User | None:
    response = client.get("/api/v1/me")
    if response.status_code != 200:
        return None
    return User.objects.get(pk=response.json()["id"])


def test_new_person_signs_up_through_the_provider(oidc_configured: str, demo: Demo) -> None:
    browser = Client()
    authorize = start(browser)
    sent = params(authorize)
    # The authorization request carries state, nonce and an S256 PKCE challenge.
    assert urlsplit(authorize).netloc == urlsplit(oidc_configured).netloc
    assert sent["client_id"] == OIDC_CLIENT_ID and sent["response_type"] == "code"
    assert len(sent["state"]) >= 16 and len(sent["nonce"]) >= 32
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) >= 43
    callback = authorize_at_op(authorize, "olive")
    response = browser.get(callback)
    assert response.status_code == 302, response.content
    user = signed_in_as(browser)
    assert user is not None and user.email == "olive@example.org"
    assert user.role == Role.CUSTOMER and not user.has_usable_password()
    account = SocialAccount.objects.get(user=user)
    assert account.provider == OIDC_PROVIDER_ID
    claims = account.extra_data["id_token"]
    assert claims["iss"] == oidc_configured and claims["aud"] == OIDC_CLIENT_ID
    assert "nonce" not in claims  # checked, then not kept
    # What the provider returned is on the person's data page and in the API (K2)…
    page = browser.get("/me/connected/")
    assert page.status_code == 200 and "olive@example.org" in page.content.decode()
    listed = browser.get("/api/v1/me/connected-accounts").json()
    assert [a["provider"] for a in listed] == [OIDC_PROVIDER_ID]
    assert listed[0]["received"]["userinfo"]["email"] == "olive@example.org"
    # …and signing in again finds the same person (keyed by provider and subject).
    again = Client()
    again.get(authorize_at_op(start(again), "olive"))
    assert signed_in_as(again) == user


def test_an_existing_email_account_is_never_taken_over(oidc_configured: str, demo: Demo) -> None:
    """v5.0.0-6.8.1: the provider says alice@example.com, but that proves nothing to
    Hisho; alice's account stays alice's, and only alice can link it."""
    alice = demo.people["alice"]
    browser = Client()
    response = browser.get(authorize_at_op(start(browser), "alice"))
    assert signed_in_as(browser) in (None,) or signed_in_as(browser) != alice
    assert not SocialAccount.objects.filter(user=alice).exists()
    assert response.status_code in (200, 302)
    # Signed in to her own account, alice connects the provider herself.
    own = Client()
    own.force_login(alice)
    # Linking a sign-in method is a change to how one signs in: confirm it's you first.
    assert own.post("/accounts/reauthenticate/", {"password": DEMO_PASSWORD}).status_code == 302
    done = own.get(authorize_at_op(start(own, process="connect"), "alice"))
    assert done.status_code == 302, done.content.decode()[:3000]
    assert SocialAccount.objects.filter(user=alice, provider=OIDC_PROVIDER_ID).exists()


def test_a_callback_in_another_browser_is_rejected(oidc_configured: str, demo: Demo) -> None:
    """The state lives in the session that started the login (v5.0.0-10.1.2)."""
    callback = authorize_at_op(start(Client()), "olive")
    attacker = Client()
    response = attacker.get(callback)
    assert signed_in_as(attacker) is None
    assert response.status_code == 401  # allauth's "sign-in failed" page
    assert not User.objects.filter(email="olive@example.org").exists()


def test_a_forged_state_is_rejected(oidc_configured: str, demo: Demo) -> None:
    browser = Client()
    callback = authorize_at_op(start(browser), "olive")
    forged = callback.replace(f"state={params(callback)['state']}", "state=forged-state-value")
    browser.get(forged)
    assert signed_in_as(browser) is None
    # The real state was not consumed by the forgery, but it is good only once.
    browser.get(callback)
    assert signed_in_as(browser) is not None
    replay = browser.get(callback)
    assert replay.status_code == 401  # a failed sign-in, not a second one


def _tamper_state(browser: Client, state_id: str, change: Any) -> None:
    session = browser.session
    states = session["socialaccount_states"]
    change(session, states[state_id][0])
    session["socialaccount_states"] = states
    session.save()


def test_a_wrong_pkce_verifier_fails_the_code_exchange(oidc_configured: str, demo: Demo) -> None:
    browser = Client()
    callback = authorize_at_op(start(browser), "olive")
    state_id = params(callback)["state"]
    _tamper_state(browser, state_id, lambda s, state: state.update(pkce_code_verifier="x" * 64))
    response = browser.get(callback)
    assert signed_in_as(browser) is None and response.status_code == 401
    assert not User.objects.filter(email="olive@example.org").exists()


@pytest.mark.parametrize("nonce", ["another-nonce-" + "n" * 30, None])
def test_a_nonce_that_does_not_match_is_rejected(
    nonce: str | None, oidc_configured: str, demo: Demo
) -> None:
    """v5.0.0-10.5.1: the ID token must carry the nonce this session sent."""
    browser = Client()
    callback = authorize_at_op(start(browser), "olive")
    state_id = params(callback)["state"]
    session = browser.session
    if nonce is None:
        del session[f"hisho_oidc_nonce.{state_id}"]
    else:
        session[f"hisho_oidc_nonce.{state_id}"] = nonce
    session.save()
    response = browser.get(callback)
    assert signed_in_as(browser) is None and response.status_code == 401
    assert not User.objects.filter(email="olive@example.org").exists()


def test_the_metadata_url_may_be_configured_instead_of_the_issuer(
    oidc_configured: str, demo: Demo
) -> None:
    providers = social_providers_from_env()
    app = oidc_app(
        name="Local OP",
        server_url=oidc_configured + "/.well-known/openid-configuration",
        client_id=OIDC_CLIENT_ID,
        secret=OIDC_CLIENT_SECRET,
        provider_id=OIDC_PROVIDER_ID,
    )
    providers["openid_connect"]["APPS"] = [app]
    with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
        browser = Client()
        browser.get(authorize_at_op(start(browser), "olive"))
    assert signed_in_as(browser) is not None


def test_an_id_token_from_another_issuer_is_rejected(oidc_configured: str, demo: Demo) -> None:
    """v5.0.0-10.5.3: whatever the metadata says, the issuer must be the configured one."""
    from allauth.socialaccount.adapter import get_adapter
    from django.core.exceptions import ValidationError
    from django.test import RequestFactory

    request = RequestFactory().post("/_allauth/app/v1/auth/provider/token")
    provider = get_adapter().get_provider(request, OIDC_PROVIDER_ID)
    claims = {"iss": "https://accounts.example", "sub": "1", "aud": OIDC_CLIENT_ID}
    with pytest.raises(ValidationError):
        provider.sociallogin_from_response(request, claims)
    provider.sociallogin_from_response(request, {**claims, "iss": oidc_configured})


# --- The app: it runs the authorization itself and sends Hisho the ID token ------------


def op_id_token(
    issuer: str, *, client_id: str = OIDC_CLIENT_ID, secret: str = OIDC_CLIENT_SECRET
) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": OIDC_CALLBACK,
            "scope": "openid profile email",
            "state": "app-state-0123456789",
            "nonce": "app-nonce-0123456789abcdef",
        }
    )
    callback = authorize_at_op(f"{issuer}/identity/o/authorize?{query}", "olive")
    token = requests.post(
        f"{issuer}/identity/o/api/token",
        data={
            "grant_type": "authorization_code",
            "code": params(callback)["code"],
            "redirect_uri": OIDC_CALLBACK,
        },
        auth=(client_id, secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return str(token.json()["id_token"])


def app_token_login(id_token: str, client_id: str = OIDC_CLIENT_ID) -> Any:
    return Client().post(
        "/_allauth/app/v1/auth/provider/token",
        json.dumps(
            {
                "provider": OIDC_PROVIDER_ID,
                "process": "login",
                "token": {"client_id": client_id, "id_token": id_token},
            }
        ),
        content_type="application/json",
    )


def test_the_app_signs_in_with_the_providers_id_token(oidc_configured: str, demo: Demo) -> None:
    response = app_token_login(op_id_token(oidc_configured))
    assert response.status_code == 200, response.content
    token = response.json()["meta"]["session_token"]
    me = ApiClient(token).get("/me")
    assert me.status_code == 200 and me.json()["email"] == "olive@example.org"


def _tamper(id_token: str) -> str:
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "alice@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_the_app_cannot_send_a_forged_or_foreign_token(oidc_configured: str, demo: Demo) -> None:
    """v5.0.0-6.8.2 (signature), 10.5.4 (audience)."""
    genuine = op_id_token(oidc_configured)
    assert app_token_login(_tamper(genuine)).status_code == 400
    foreign = op_id_token(
        oidc_configured, client_id="another-app", secret="another-secret-0123456789"
    )
    assert app_token_login(foreign).status_code == 400
    assert app_token_login("not-a-jwt").status_code == 400
    assert not User.objects.filter(email="olive@example.org").exists()
