"""Inputs to allauth's sign-in API that used to answer 500 (found by a probe of every
form and sign-in endpoint): now refused with a 4xx, nothing changed.

- a password holding a lone surrogate ("\\ud800", valid JSON, no text): the Argon2 hasher
  cannot encode it (hisho/api_http.py, DeepJsonGuard);
- a password-reset key with nothing before its "-" (hisho/compat/allauth.py);
- a passkey credential without `rawId` (hisho/compat/allauth.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hisho.demo import DEMO_PASSWORD, Demo, email_of
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

LONE = "\ud800"


def post(path: str, body: Any, token: str | None = None, client: Client | None = None) -> Any:
    headers = {"X-Session-Token": token} if token else {}
    return (client or Client(raise_request_exception=False)).post(
        f"/_allauth/{path}", json.dumps(body), content_type="application/json", headers=headers
    )


def refused(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])


@pytest.mark.parametrize(
    ("path", "body", "signed_in"),
    [
        ("app/v1/auth/login", {"email": email_of("bob"), "password": LONE}, False),
        ("app/v1/auth/login", {"email": email_of("bob"), "password": f"x{LONE}y" * 4}, False),
        (
            "app/v1/auth/signup",
            {"email": "zz1@example.com", "password": f"{LONE}abcdefgh12"},
            False,
        ),
        ("app/v1/auth/reauthenticate", {"password": LONE}, True),
        ("app/v1/account/password/change", {"current_password": LONE, "new_password": "x"}, True),
        (
            "app/v1/account/password/change",
            {"current_password": DEMO_PASSWORD, "new_password": f"long-enough-{LONE}"},
            True,
        ),
    ],
)
def test_a_password_that_is_not_text_is_a_400(
    demo: Demo, path: str, body: dict[str, str], signed_in: bool
) -> None:
    token = sign_in("bob") if signed_in else None
    response = post(path, body, token)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert "not Unicode" in response.json()["detail"]
    # Nothing changed: bob's password is what it was.
    demo.people["bob"].refresh_from_db()
    assert demo.people["bob"].check_password(DEMO_PASSWORD)


def test_a_surrogate_pair_is_text_and_goes_through(demo: Demo) -> None:
    """ "\\ud83d\\ude00" is one emoji: only lone halves are refused."""
    response = post("app/v1/auth/login", {"email": email_of("bob"), "password": "\ud83d\ude00"})
    assert response.status_code == 400  # a wrong password, answered by allauth
    assert "not Unicode" not in response.content.decode()


@pytest.mark.parametrize("client", ["app", "browser"])
@pytest.mark.parametrize("key", ["-1", "--", "-x", -1, "", "1"])
def test_a_reset_key_without_a_user_part_is_an_invalid_key(
    demo: Demo, client: str, key: Any
) -> None:
    refused(post(f"{client}/v1/auth/password/reset", {"key": key, "password": "Abcdefgh123!x"}))
    response = Client(raise_request_exception=False).get(
        f"/_allauth/{client}/v1/auth/password/reset", headers={"X-Password-Reset-Key": str(key)}
    )
    refused(response)


MALFORMED_CREDENTIALS = [
    {"id": "x"},
    {"id": "x", "rawId": "x"},
    {"id": "x", "rawId": "eA", "type": "public-key"},
    {"id": "x", "rawId": "eA", "type": "public-key", "response": {}},
    {"id": "x", "rawId": "eA", "type": "public-key", "response": None},
]


@pytest.mark.parametrize("credential", MALFORMED_CREDENTIALS)
def test_a_malformed_passkey_sign_in_is_refused(demo: Demo, credential: dict[str, Any]) -> None:
    browser = Client(raise_request_exception=False)
    browser.get("/_allauth/browser/v1/auth/webauthn/login")  # the challenge, in the session
    refused(post("app/v1/auth/webauthn/login", {"credential": credential}))
    refused(post("browser/v1/auth/webauthn/login", {"credential": credential}, client=browser))


@pytest.mark.parametrize("credential", MALFORMED_CREDENTIALS)
def test_a_malformed_passkey_from_a_signed_in_person_is_refused(
    demo: Demo, credential: dict[str, Any]
) -> None:
    token = sign_in("bob")
    refused(post("app/v1/auth/webauthn/reauthenticate", {"credential": credential}, token))
    refused(
        post(
            "app/v1/account/authenticators/webauthn", {"credential": credential, "name": "k"}, token
        )
    )
