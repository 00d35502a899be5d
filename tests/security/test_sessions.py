"""Sessions and re-authentication (POLICY O2).

ASVS: v5.0.0-7.2.4 (new session id on sign-in and re-authentication), 7.3.1/7.3.2
(idle and absolute lifetime), 7.4.1 (sign-out ends the session server-side), 7.4.3
(password change ends the other sessions), 7.5.1 (re-authentication before changing
e-mail, MFA, or deleting data), 6.2.1/6.2.4/6.2.9 (passwords), 6.3.8 (no enumeration).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote_plus

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.http import QueryDict
from django.test import Client, override_settings

from hisho.accounts.models import User
from hisho.accounts.sessions import app_token_session
from hisho.compat.allauth import SOCIAL_STATES_KEY
from hisho.demo import DEMO_PASSWORD, Demo, email_of
from tests.conftest import sign_in
from tests.openapi import ApiClient


def web_login(client: Client, handle: str, password: str = DEMO_PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": email_of(handle), "password": password})


def test_signing_in_gives_a_new_session_id(demo: Demo) -> None:
    browser = Client()
    browser.get("/accounts/login/")
    session = browser.session
    session["planted"] = True  # an attacker-known session before sign-in
    session.save()
    before = session.session_key
    assert web_login(browser, "alice").status_code == 302
    after = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before and not Session.objects.filter(session_key=before).exists()


def test_reauthenticating_gives_a_new_session_id(demo: Demo) -> None:
    browser = Client()
    web_login(browser, "alice")
    before = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert browser.post("/accounts/reauthenticate/", {"password": DEMO_PASSWORD}).status_code == 302
    after = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before and not Session.objects.filter(session_key=before).exists()
    assert browser.get("/errands/").status_code == 200


def test_signing_out_ends_the_session_on_the_server(demo: Demo) -> None:
    browser = Client()
    web_login(browser, "alice")
    stolen = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert browser.post("/accounts/logout/").status_code == 302
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert thief.get("/errands/").status_code == 302  # to the sign-in page
    assert thief.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_the_other_sessions(demo: Demo) -> None:
    token = sign_in("alice")
    other = Client()
    web_login(other, "alice")
    browser = Client()
    web_login(browser, "alice")
    changed = browser.post(
        "/accounts/password/change/",
        {
            "oldpassword": DEMO_PASSWORD,
            "password1": "a-new-passphrase-2026",
            "password2": "a-new-passphrase-2026",
        },
    )
    assert changed.status_code == 302
    assert browser.get("/errands/").status_code == 200  # this one stays
    assert other.get("/errands/").status_code == 302
    assert ApiClient(token).get("/me").status_code == 401


def _age_session(session: Any, *, started: float | None = None, seen: float | None = None) -> None:
    if started is not None:
        records = session["account_authentication_methods"]
        session["account_authentication_methods"] = [{**r, "at": started} for r in records]
    if seen is not None:
        session["hisho.seen"] = seen
    session.save()


@pytest.mark.parametrize("what", ["absolute", "idle"])
def test_old_or_idle_sign_ins_end(what: str, demo: Demo) -> None:
    now = time.time()
    token = sign_in("alice")
    browser = Client()
    web_login(browser, "alice")
    for session in (app_token_session(token), browser.session):
        if what == "absolute":
            _age_session(session, started=now - settings.HISHO_SESSION_MAX_SECONDS - 60)
        else:
            _age_session(session, seen=now - settings.HISHO_SESSION_IDLE_SECONDS - 60)
    assert ApiClient(token).get("/me").status_code == 401
    assert browser.get("/errands/").status_code == 302
    # A fresh sign-in works as ever.
    assert ApiClient(sign_in("alice")).get("/me").status_code == 200


def test_deleting_connected_data_needs_a_recent_sign_in(demo: Demo) -> None:
    token = sign_in("alice")
    api = ApiClient(token)
    assert api.delete("/me/connected-accounts/1").status_code == 404  # recent: allowed through
    session = app_token_session(token)
    _age_session(session, started=time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 5)
    answer = api.delete("/me/connected-accounts/1")
    assert answer.status_code == 401 and "re-authenticate" in answer.json()["detail"]
    reauth = Client().post(
        "/_allauth/app/v1/auth/reauthenticate",
        json.dumps({"password": DEMO_PASSWORD}),
        content_type="application/json",
        headers={"X-Session-Token": token},
    )
    assert reauth.status_code == 200
    fresh = reauth.json()["meta"].get("session_token", token)
    assert fresh != token  # a new token on re-authentication; the old one is dead
    assert ApiClient(token).get("/me").status_code == 401
    assert ApiClient(fresh).delete("/me/connected-accounts/1").status_code == 404


def test_changing_email_or_mfa_asks_to_confirm_first(demo: Demo, web_as: Any) -> None:
    alice = web_as("alice")
    added = alice.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})
    assert added.status_code == 302 and added["Location"].startswith("/accounts/reauthenticate/")
    assert alice.get("/accounts/2fa/totp/activate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    connected = alice.post("/me/connected/1/remove/")
    assert connected["Location"].startswith("/accounts/reauthenticate/")


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short-pw", False),  # under 10 characters
        ("password1234", False),  # a common password
        ("1234567890123", False),  # numbers only
        ("correct horse battery staple", True),  # no composition rules
        ("x" * 20 + "長いパスフレーズ" + "y" * 60, True),  # 64+ characters, any script
    ],
)
def test_password_rules(password: str, ok: bool, db: None) -> None:
    response = Client().post(
        "/accounts/signup/",
        {"email": "pat@example.com", "password1": password, "password2": password},
    )
    created = User.objects.filter(email="pat@example.com").first()
    assert (created is not None) == ok, response.content[:300]
    if created:
        assert created.check_password(password)  # verified exactly as typed


# --- No enumeration: login, sign-up, reset answer alike ------------------------------------


def test_login_answers_alike(demo: Demo) -> None:
    def attempt(email: str) -> Any:
        return Client().post("/accounts/login/", {"login": email, "password": "not-it-at-all"})

    known, unknown = attempt("alice@example.com"), attempt("nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")  # production's default
def test_sign_up_answers_alike(demo: Demo) -> None:
    def attempt(email: str) -> Any:
        return Client().post(
            "/accounts/signup/",
            {
                "email": email,
                "password1": "a-long-passphrase-42",
                "password2": "a-long-passphrase-42",
            },
        )

    taken, new = attempt("alice@example.com"), attempt("newcomer@example.com")
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"] == "/accounts/confirm-email/"
    # Each address got a mail: the newcomer a verification link, alice a notice.
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "newcomer@example.com"]


def test_password_reset_answers_alike(demo: Demo) -> None:
    known = Client().post("/accounts/password/reset/", {"email": "alice@example.com"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


@pytest.mark.parametrize(("handle", "start"), [("partner", "/partner/"), ("alice", "/errands/")])
def test_signing_in_lands_on_a_page_of_ones_own(demo: Demo, handle: str, start: str) -> None:
    """A partner landed on the errand list, a 403 for them (found by a probe)."""
    browser = Client()
    response = web_login(browser, handle)
    assert response.status_code == 302 and response["Location"] == start
    assert browser.get(start).status_code == 200


# --- What a request leaves in the session passes DLP (POLICY K9) ---------------------------

CARD = "4111 1111 1111 1111"


def card_digits_in_sessions() -> list[str]:
    """The stored sessions whose data, decoded (and its %-escapes too), holds the card."""
    from django.contrib.sessions.backends.db import SessionStore

    found = []
    for row in Session.objects.all():
        text = json.dumps(SessionStore().decode(row.session_data), ensure_ascii=False)
        digits = "".join(ch for ch in unquote_plus(text) if ch.isdigit())
        if "4111111111111111" in digits:
            found.append(text)
    return found


def test_a_post_suspended_for_a_fresh_sign_in_keeps_no_card_number(demo: Demo) -> None:
    # allauth keeps the interrupted POST in the session — its fields, query and every
    # header — to replay it after the password is asked again.
    client = Client()
    client.force_login(demo.people["alice"])  # no sign-in step recorded: not fresh
    response = client.post(
        "/me/erase/?ref=4111+1111+1111+1111",
        {"note": CARD, "other": "kept as typed"},
        headers={"X-Note": CARD, "Referer": f"http://testserver/?c={CARD}"},
    )
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert card_digits_in_sessions() == []
    session = Session.objects.get()
    state = session.get_decoded()["account_reauthentication_state"]
    replayed = json.loads(state["request"])
    posted = QueryDict(replayed["POST"])
    assert posted["other"] == "kept as typed" and posted["note"] == "[card ••••1111]"
    assert replayed["META"]["HTTP_X_NOTE"] == "[card ••••1111]"


def test_a_pending_sign_in_keeps_no_card_number_in_its_next_address(demo: Demo) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/?next=/errands/%3Fc%3D4111%2B1111%2B1111%2B1111",
        {"login": email_of("kenji"), "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302 and "2fa" in response["Location"]  # second step
    assert card_digits_in_sessions() == []


def test_a_password_set_after_a_stale_sign_in_is_not_kept_in_the_session(demo: Demo) -> None:
    # Someone who signed up through a provider sets a password; their sign-in is no longer
    # fresh, so allauth suspends the POST in the session to replay it after re-authentication.
    user = demo.people["alice"]
    user.set_unusable_password()
    user.save()
    client = Client()
    client.force_login(user)
    new = "Harbour-Lantern-9876"
    response = client.post("/accounts/password/set/", {"password1": new, "password2": new})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    session = Session.objects.get().get_decoded()
    assert "account_reauthentication_state" in session
    assert new not in json.dumps(session)


def test_a_session_keeps_machine_values_that_read_like_a_card() -> None:
    # The masking reads only the states that hold a client's text. Django's session hash
    # (64 hex digits: HMAC of the password hash) reads as a card about once in 800;
    # masked, that person would be signed out by every request that changes the session.
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django.test import RequestFactory

    from hisho.inbound import MaskCardsInSession
    from hisho.redaction import carries_card

    session_hash = "ff40a1605ab4225227724696b3082c5fd4d65146723496d482609889d3cfda5a"
    assert carries_card(session_hash)
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session["_auth_user_hash"] = session_hash
    request.session["account_authentication_methods_user"] = "4111111111111111"
    MaskCardsInSession(lambda r: HttpResponse())(request)
    assert request.session["_auth_user_hash"] == session_hash
    assert request.session["account_authentication_methods_user"] == "4111111111111111"


def test_a_social_sign_in_keeps_no_card_number_in_its_next_address(demo: Demo) -> None:
    # While the visitor is at the provider, allauth keeps the redirect state, with the
    # `next` address the client sent, in the session (and saves it there itself).
    from hisho.accounts.providers import social_providers_from_env

    providers = social_providers_from_env()
    providers["facebook"]["APPS"] = [{"client_id": "1234567890", "secret": "s", "key": ""}]
    client = Client()
    with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
        response = client.post(
            "/accounts/facebook/login/?next=/errands/%3Fc%3D4111%2B1111%2B1111%2B1111",
            {"process": "login"},
        )
    assert response.status_code == 302 and "facebook.com" in response["Location"]
    assert card_digits_in_sessions() == []
    [(state, _at, provider)] = client.session[SOCIAL_STATES_KEY].values()
    assert provider == "facebook" and state["next"].startswith("/errands/?c=")


def _sign_up(email: str) -> str:
    response = Client().post(
        "/_allauth/app/v1/auth/signup",
        json.dumps({"email": email, "password": "a-new-passphrase-2026"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token: str = response.json()["meta"]["session_token"]
    return token


def test_a_sign_up_starts_the_sign_in_clock(demo: Demo) -> None:
    # The session a sign-up opens has a start like any sign-in: it ends after the
    # absolute lifetime, however often it is used.
    token = _sign_up("newcomer@example.com")
    assert ApiClient(token).get("/me").status_code == 200
    _age_session(
        app_token_session(token), started=time.time() - settings.HISHO_SESSION_MAX_SECONDS - 60
    )
    assert ApiClient(token).get("/me").status_code == 401


def test_erasing_right_after_signing_up_needs_no_second_sign_in(demo: Demo) -> None:
    token = _sign_up("newcomer@example.com")
    erased = ApiClient(token).delete("/me")
    assert erased.status_code == 200, erased.content
