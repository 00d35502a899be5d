"""Two-factor authentication, and staff seeing no errand without it (POLICY O2).

ASVS: v5.0.0-6.3.2 (MFA), 6.3.3 (every pathway: app, web, browser API session), 6.5.1
(a code works once), 6.5.3 (random seeds), 6.5.5 (30 s TOTP), 6.3.1 (second-factor
guessing throttled), 8.2.1 (function-level access).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from hisho.accounts.principal import CONFIRM_SECOND_FACTOR, ENROL_FIRST
from hisho.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, Demo, email_of
from tests.compat.allauth_testkit import (
    PENDING_TOTP_SECRET_KEY,
    totp_code_valid,
    unused_recovery_codes,
)
from tests.conftest import totp_code
from tests.openapi import ApiClient

STAFF = ["kenji", "yuki", "admin", "admin2"]


def password_step(handle: str, password: str = DEMO_PASSWORD) -> Any:
    return Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": email_of(handle), "password": password}),
        content_type="application/json",
    )


def code_step(token: str, code: str) -> Any:
    return Client().post(
        "/_allauth/app/v1/auth/2fa/authenticate",
        json.dumps({"code": code}),
        content_type="application/json",
        headers={"X-Session-Token": token},
    )


def test_demo_staff_have_the_published_totp_secret_sealed(demo: Demo) -> None:
    for handle in STAFF:
        totp = Authenticator.objects.get(user=demo.people[handle], type="totp")
        stored = json.dumps(totp.data)
        assert DEMO_TOTP_SECRET not in stored and stored.count("hisho-aesgcm1:") == 1
        assert totp_code_valid(totp, totp_code(DEMO_TOTP_SECRET))
        assert Authenticator.objects.filter(
            user=demo.people[handle], type="recovery_codes"
        ).exists()
    assert not Authenticator.objects.filter(user=demo.people["alice"]).exists()


def test_staff_sign_in_needs_the_code_and_a_code_works_once(demo: Demo) -> None:
    first = password_step("kenji")
    assert first.status_code == 401
    flows = {f["id"]: f for f in first.json()["data"]["flows"]}
    assert flows["mfa_authenticate"]["is_pending"]
    pending = first.json()["meta"]["session_token"]
    # Half signed in is not signed in.
    assert ApiClient(pending).get("/me").status_code == 401
    assert code_step(pending, "000000").status_code == 400
    code = totp_code(DEMO_TOTP_SECRET)
    done = code_step(pending, code)
    assert done.status_code == 200
    assert ApiClient(done.json()["meta"]["session_token"]).get("/errands").status_code == 200
    # The same code, again, within its 30 seconds: refused.
    again = password_step("kenji").json()["meta"]["session_token"]
    assert code_step(again, code).status_code == 400


def test_a_recovery_code_works_once(demo: Demo) -> None:
    codes = unused_recovery_codes(
        Authenticator.objects.get(user=demo.people["yuki"], type="recovery_codes")
    )
    assert len(codes) == 10 and all(len(c) == 8 for c in codes)
    token = password_step("yuki").json()["meta"]["session_token"]
    assert code_step(token, codes[0]).status_code == 200
    token = password_step("yuki").json()["meta"]["session_token"]
    assert code_step(token, codes[0]).status_code == 400


def test_guessing_codes_is_throttled_per_account(demo: Demo) -> None:
    token = password_step("admin").json()["meta"]["session_token"]
    statuses = [code_step(token, f"{n:06d}").status_code for n in range(5)]
    assert statuses == [400] * 5
    # Now even the right code is refused for a while: the account's attempts are used up.
    refused = code_step(token, totp_code(DEMO_TOTP_SECRET))
    assert refused.status_code in (400, 429)
    assert "Too many" in json.dumps(refused.json())


def test_customers_sign_in_with_a_password_alone(demo: Demo) -> None:
    response = password_step("alice")
    assert response.status_code == 200
    assert ApiClient(response.json()["meta"]["session_token"]).get("/errands").status_code == 200


def _unenrol(user: Any) -> None:
    Authenticator.objects.filter(user=user).delete()


def test_staff_without_a_second_factor_see_no_errand(demo: Demo) -> None:
    """Not enrolled: the API answers a clear 403 on every errand endpoint; the web sends
    them to set it up; their own profile still works."""
    yuki = demo.people["yuki"]
    _unenrol(yuki)
    response = password_step("yuki")
    assert response.status_code == 200  # password alone signs in…
    api = ApiClient(response.json()["meta"]["session_token"])
    assert api.get("/me").status_code == 200
    errand = demo.bob_errand.pk  # …but even her own assigned errand is out of reach
    for path in ["/errands", f"/errands/{errand}", f"/errands/{errand}/messages"]:
        answer = api.get(path)
        assert answer.status_code == 403, path
        assert answer.json()["detail"] == ENROL_FIRST
    assert api.post(f"/errands/{errand}/messages", {"body": "hello"}).status_code == 403
    web = Client()
    assert (
        web.post(
            "/accounts/login/", {"login": email_of("yuki"), "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )
    page = web.get(f"/errands/{errand}/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/2fa/?next=")
    assert web.get("/queue/")["Location"].startswith("/accounts/2fa/")


def test_a_password_only_staff_session_sees_no_errand(demo: Demo) -> None:
    """Enrolled, but this session never passed the second factor (e.g. made before the
    enrolment): web → confirm with the code; the browser's API calls → 403."""
    kenji = demo.people["kenji"]
    web = Client()
    web.force_login(kenji)
    page = web.get(f"/errands/{demo.alice_errand.pk}/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    api = web.get("/api/v1/errands")
    assert api.status_code == 403 and api.json()["detail"] == CONFIRM_SECOND_FACTOR
    # Confirming with the code lets the same session in.
    confirmed = web.post("/accounts/2fa/reauthenticate/", {"code": totp_code(DEMO_TOTP_SECRET)})
    assert confirmed.status_code == 302
    assert web.get(f"/errands/{demo.alice_errand.pk}/").status_code == 200
    assert web.get("/api/v1/errands").status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth signals the enrolment on commit
def test_enrolling_from_the_setup_page_opens_the_errands(demo: Demo) -> None:
    """The path an unenrolled assistant takes: redirected to /accounts/2fa/, activates
    TOTP with a code from their app, and sees their errands in the same session."""
    yuki = demo.people["yuki"]
    _unenrol(yuki)
    web = Client()
    web.post("/accounts/login/", {"login": email_of("yuki"), "password": DEMO_PASSWORD})
    assert web.get("/errands/").status_code == 302
    assert web.post("/accounts/reauthenticate/", {"password": DEMO_PASSWORD}).status_code == 302
    assert web.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = web.session[PENDING_TOTP_SECRET_KEY]
    activated = web.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert activated.status_code == 302
    assert web.get("/errands/").status_code == 200
