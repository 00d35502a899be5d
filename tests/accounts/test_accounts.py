"""Sign-up, sign-in and out, password reset, the own-profile API and role management."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from hisho.accounts.models import Role, User
from hisho.audit.models import AuditEvent
from hisho.demo import DEMO_PASSWORD, Demo
from tests.conftest import sign_in
from tests.openapi import ApiClient


def test_web_sign_up_needs_only_email_and_password(db: None, settings: Any) -> None:
    # The production hashers, as settings.py has them (the suite puts a fast one first).
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.role == Role.CUSTOMER
    assert user.name == "" and user.sealed_phone is None and user.birth_year is None  # K1
    assert user.password.startswith("argon2$argon2id$")
    assert AuditEvent.objects.filter(event="account.signed_up", target_id=str(user.pk)).exists()
    # Signed in straight away, and can create an errand with nothing but a title.
    assert client.post("/errands/new/", {"title": "Renew my visa"}).status_code == 302


def test_sign_up_cannot_choose_a_role(db: None) -> None:
    Client().post(
        "/accounts/signup/",
        {
            "email": "sneaky@example.com",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
            "role": "admin",
        },
    )
    assert User.objects.get(email="sneaky@example.com").role == Role.CUSTOMER


def test_weak_passwords_are_refused(db: None) -> None:
    response = Client().post(
        "/accounts/signup/",
        {"email": "weak@example.com", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.com").exists()


def test_app_login_wrong_password_gives_no_hint(demo: Demo) -> None:
    def attempt(email: str) -> Any:
        return Client().post(
            "/_allauth/app/v1/auth/login",
            json.dumps({"email": email, "password": "not-the-password"}),
            content_type="application/json",
        )

    known, unknown = attempt("alice@example.com"), attempt("nobody@example.com")
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()


def test_sign_out_kills_the_token_at_once(demo: Demo) -> None:
    token = sign_in("alice")
    api = ApiClient(token)
    assert api.get("/me").status_code == 200
    out = Client().delete("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token})
    assert out.status_code == 401  # allauth answers "no longer authenticated"
    assert api.get("/me").status_code == 401


def test_password_reset_mail(demo: Demo) -> None:
    response = Client().post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "alice@example.com" in mail.outbox[0].to


def test_me_patch_and_clear(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    response = alice.patch(
        "/me", {"phone": "+81 90 1111 2222", "country": "jp", "birth_year": 1990, "language": "ja"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "+81 90 1111 2222" and body["country"] == "JP"
    assert body["birth_year"] == 1990 and body["language"] == "ja"
    cleared = alice.patch("/me", {"phone": None, "birth_year": None}).json()
    assert cleared["phone"] is None and cleared["birth_year"] is None and cleared["country"] == "JP"


@pytest.mark.parametrize(
    "body",
    [
        {"country": "Japan"},
        {"country": "XX"},  # two letters, but no country's
        {"country": "zz"},
        {"birth_year": 1800},
        {"birth_year": "1990"},
        {"language": "xx"},
        {"email": "me@evil.example"},
        {"role": "admin"},
        {"name": "x" * 151},
        {"phone": "1\u0000"},
    ],
)
def test_me_patch_rejects_bad_input(body: dict[str, Any], demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    before = alice.get("/me").json()
    response = alice.patch("/me", body)
    assert response.status_code == 422
    assert alice.get("/me").json() == before


def test_staff_cannot_take_another_staff_members_name(demo: Demo, api_as: Any) -> None:
    """Customers tell who read their data by name alone ("Who saw my data", the assignment
    e-mail): yuki, put on alice's errand, must not read it as "Kenji"."""
    yuki = api_as("yuki")
    kenji = demo.people["kenji"]
    for name in (
        kenji.name,
        f" {kenji.name.upper()} ",
        "Ｋｅｎｊｉ",
        "Ken\u00adji\u200b",
        "Admin Two",
        # Letters of another script drawn alike, and characters that show nothing.
        "\u041aenji",  # Cyrillic Ka
        "Kenj\u0456",  # Cyrillic i
        "\u039aenji",  # Greek Kappa
        "Kenji\ufe0f",  # a variation selector
        "Ken\u034fji",  # the combining grapheme joiner
        "Kenji\u3164",  # the Hangul filler
    ):
        response = yuki.patch("/me", {"name": name})
        assert response.status_code == 422, name
        assert response.json()["errors"][0]["field"] == "name"
    assert yuki.get("/me").json()["name"] == "Yuki"
    # A staff member's default name ("Assistant #3") is theirs too.
    User.objects.filter(pk=kenji.pk).update(name="")
    assert yuki.patch("/me", {"name": f"Assistant #{kenji.pk}"}).status_code == 422
    # Any other name, one's own again, and customers' names stay free.
    assert yuki.patch("/me", {"name": "Yuki T."}).status_code == 200
    assert yuki.patch("/me", {"name": "yuki"}).status_code == 200
    assert api_as("alice").patch("/me", {"name": "Kenji"}).status_code == 200


def test_admin_changes_roles_and_sessions_end(demo: Demo, api_as: Any) -> None:
    yuki_token = sign_in("yuki")
    admin = api_as("admin")
    yuki_id = demo.people["yuki"].pk
    response = admin.put(f"/people/{yuki_id}/role", {"role": "customer"})
    assert response.status_code == 200 and response.json()["role"] == "customer"
    # Losing the assistant role ends every session and token at once.
    assert ApiClient(yuki_token).get("/me").status_code == 401
    assert admin.put(f"/people/{yuki_id}/role", {"role": "boss"}).status_code == 422
    assert admin.put("/people/999999/role", {"role": "assistant"}).status_code == 404
    assert (
        admin.put(f"/people/{demo.people['admin'].pk}/role", {"role": "customer"}).status_code
        == 422
    )
    assert api_as("kenji").put(f"/people/{yuki_id}/role", {"role": "admin"}).status_code == 403


def test_role_removal_revokes_errand_access(demo: Demo, api_as: Any) -> None:
    kenji = api_as("kenji")
    assert kenji.get(f"/errands/{demo.alice_errand.pk}").status_code == 200
    demo.people["kenji"].refresh_from_db()
    from hisho.accounts.actions import do_set_role

    do_set_role(actor=demo.people["admin"], user=demo.people["kenji"], role="customer")
    fresh = ApiClient(sign_in("kenji"))
    assert fresh.get(f"/errands/{demo.alice_errand.pk}").status_code == 404


def test_people_page_changes_role_with_a_second_admin(demo: Demo, web_as: Any) -> None:
    from hisho.accounts.models import RoleGrant

    partner = demo.people["partner"]
    client = web_as("admin")
    response = client.post(f"/staff/people/{partner.pk}/role/", {"role": "assistant"})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.role == Role.PARTNER  # asked for, not granted
    grant = RoleGrant.objects.get(person=partner)
    page = client.get("/staff/people/").content.decode()
    assert "another admin approves" in page  # the requester is offered no approve button
    client.post(f"/staff/people/grants/{grant.pk}/approve/")
    partner.refresh_from_db()
    assert partner.role == Role.PARTNER  # the requester's own approval changes nothing
    assert "Approve" in web_as("admin2").get("/staff/people/").content.decode()
    web_as("admin2").post(f"/staff/people/grants/{grant.pk}/approve/")
    partner.refresh_from_db()
    assert partner.role == Role.ASSISTANT


def test_an_unknown_decision_on_a_grant_is_not_found_and_changes_nothing(
    demo: Demo, web_as: Any
) -> None:
    from hisho.accounts.models import GrantStatus, RoleGrant

    partner = demo.people["partner"]
    web_as("admin").post(f"/staff/people/{partner.pk}/role/", {"role": "assistant"})
    grant = RoleGrant.objects.get(person=partner)

    response = web_as("admin2").post(f"/staff/people/grants/{grant.pk}/approved/")

    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING


def test_demo_password_is_the_documented_one(demo: Demo) -> None:
    assert demo.people["alice"].check_password(DEMO_PASSWORD)


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "hisho", "check"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HISHO_MODE": "production", "HISHO_DEBUG": "1"}, "HISHO_DEBUG must be off"),
        ({"HISHO_MODE": "production"}, "HISHO_SECRET_KEY"),
        (
            {"HISHO_MODE": "production", "HISHO_SECRET_KEY": "django-insecure-" + "x" * 60},
            "HISHO_SECRET_KEY",
        ),
        ({"HISHO_MODE": "production", "HISHO_SECRET_KEY": "s" * 60}, "HISHO_ALLOWED_HOSTS"),
        (
            {
                "HISHO_MODE": "production",
                "HISHO_SECRET_KEY": "s" * 60,
                "HISHO_ALLOWED_HOSTS": "hisho.example",
            },
            "DATABASE_URL",
        ),
        ({"HISHO_DEBUG": "ture"}, "HISHO_DEBUG must be one of"),
        ({"HISHO_MODE": "staging"}, "HISHO_MODE must be one of"),
    ],
)
def test_bad_configuration_refuses_to_start(
    env: dict[str, str], message: str, tmp_path: Any
) -> None:
    result = _start({**env, "HISHO_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert message in result.stderr


def test_an_app_token_is_looked_up_with_one_query(demo: Demo) -> None:
    """The token strategy (hisho.accounts.sessions.OneReadSessionTokenStrategy) loads the
    session once: a live token finds it, an unknown or signed-out one finds nothing —
    each in one read, where allauth's own strategy asks twice."""
    from django.contrib.auth import SESSION_KEY
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hisho.accounts.sessions import app_token_session

    token = sign_in("alice")
    with CaptureQueriesContext(connection) as live:
        session = app_token_session(token)
        assert session is not None and session.session_key == token
        assert int(session[SESSION_KEY]) == demo.people["alice"].pk
    assert len(live.captured_queries) == 1
    with CaptureQueriesContext(connection) as unknown:
        assert app_token_session("x" * 32) is None
    assert len(unknown.captured_queries) == 1
    assert app_token_session("") is None and app_token_session("short") is None
    Client().delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token)
    assert app_token_session(token) is None


@pytest.mark.parametrize("token", ["x\x00" + "y" * 30, "' OR 1=1 --" + "x" * 21, "é" * 32])
def test_a_malformed_app_token_is_refused_without_a_query(demo: Demo, token: str) -> None:
    """Session keys are lowercase letters and digits: anything else is no session, answered
    401 without asking the database (on PostgreSQL a NUL byte in the query was a 500)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hisho.accounts.sessions import app_token_session

    with CaptureQueriesContext(connection) as lookup:
        assert app_token_session(token) is None
    assert lookup.captured_queries == []
    response = Client().get("/api/v1/errands", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("code", ["JP", "us", "AQ", "PN", "XK"])
def test_every_country_with_a_code_can_be_named(code: str, demo: Demo, api_as: Any) -> None:
    """ISO 3166-1 codes, those with no numbering plan of their own (Antarctica, Pitcairn)
    included, and Kosovo's, which phone numbers use."""
    response = api_as("alice").patch("/me", {"country": code})
    assert response.status_code == 200, response.content
    assert response.json()["country"] == code.upper()
