"""Every staff function needs a session that passed a second factor (POLICY K7, DESIGN
rule 9). Found before: an admin with a password alone got 403 on errands but could open,
approve and export legal disclosure cases. Now the rule sits where every API operation
passes (hisho/auth.py), so no endpoint — today's or tomorrow's — can forget it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from hisho.demo import Demo
from tests.openapi import ApiClient
from tests.security.test_mfa import password_step

SAMPLE = {
    "errand_id": "5d0c7a1e-0000-4000-8000-000000000001",
    "case_id": "5d0c7a1e-0000-4000-8000-000000000002",
    "grant_id": "5d0c7a1e-0000-4000-8000-000000000003",
    "person_id": "1",
    "account_id": "1",
    "purpose": "usage_analytics",
}
OWN_ACCOUNT = re.compile(r"^/me(/|$)")


def operations() -> list[tuple[str, str]]:
    """Every operation that needs a signed-in caller (public ones, such as the audit log's
    checkpoint and proofs, declare no security requirement)."""
    schema = Client().get("/api/v1/openapi.json").json()
    out = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete") and operation.get("security"):
                out.append((method, path.removeprefix("/api/v1")))
    return sorted(out)


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "1"), path)


@pytest.mark.parametrize("handle", ["kenji", "admin"])
def test_a_password_only_staff_session_gets_403_on_every_staff_operation(
    demo: Demo, handle: str
) -> None:
    half = ApiClient(password_step(handle).json()["meta"]["session_token"])
    # A half-done sign-in (second step pending) is not signed in at all.
    assert half.get("/me").status_code == 401


@pytest.mark.parametrize("handle", ["kenji", "admin"])
def test_staff_without_an_enrolled_second_factor_reach_only_their_own_account(
    demo: Demo, handle: str
) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=demo.people[handle]).delete()
    token = password_step(handle).json()["meta"]["session_token"]
    client = ApiClient(token)
    assert client.get("/me").status_code == 200  # their own account, to enrol and export
    reached = []
    for method, path in operations():
        if OWN_ACCOUNT.match(path) or path in ("/openapi.json", "/errand-categories"):
            continue
        send = getattr(client, method)
        response = send(concrete(path)) if method in ("get", "delete") else send(concrete(path), {})
        if response.status_code != 403:
            reached.append(f"{method.upper()} {path} → {response.status_code}")
    assert not reached, "\n".join(reached)


def test_staff_pages_send_them_to_set_up_a_second_factor(demo: Demo) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=demo.people["admin"]).delete()
    web = Client()
    web.force_login(demo.people["admin"])
    for page in ("/staff/legal/", "/staff/people/", "/staff/audit/", "/staff/privacy/", "/queue/"):
        response = web.get(page)
        assert response.status_code == 302 and "/accounts/2fa/" in response["Location"], page


def test_the_rule_is_decided_for_every_operation(api_as: Any) -> None:
    """The gate lists what staff may use before a second factor, not what they may not."""
    from hisho import auth

    assert auth.OWN_ACCOUNT_PREFIX == "me"
    assert len(operations()) > 20
