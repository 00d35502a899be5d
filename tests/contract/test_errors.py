"""HTTP errors of /api/v1/ (API.md, "Errors and retries"; issue 14): 405 and unknown
paths are problem+json (405 with Allow), HEAD works wherever GET does, and a request
without a valid credential is a 401 whatever its method — a CSRF failure (403) is only
possible for a signed-in browser session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hisho.demo import Demo

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_unsupported_methods_and_unknown_paths_are_problems(who: str, api_as: Any) -> None:
    client = api_as(who)
    for method, path, allow in [
        ("put", "/errands", "GET, HEAD, POST"),
        ("delete", "/errands", "GET, HEAD, POST"),
        ("post", "/me/export", "GET, HEAD"),
        ("put", "/me", "DELETE, GET, HEAD, PATCH"),
    ]:
        response = getattr(client.client, method)(f"/api/v1{path}", headers=client.headers)
        _problem(response, 405)
        assert response["Allow"] == allow
    for path in ("/no-such-thing", "/errands/x/y/z", "/me/nothing"):
        _problem(client.client.get(f"/api/v1{path}", headers=client.headers), 404)


def _get_operations() -> list[str]:
    from hisho.api import api

    document = api.get_openapi_schema(path_params={})
    return sorted(
        path.removeprefix("/api/v1")
        for path, item in document["paths"].items()
        if "get" in item and "{" not in path
    )


@pytest.mark.parametrize("path", _get_operations())
def test_head_works_wherever_get_does(path: str, api_as: Any) -> None:
    client = api_as("alice")
    got = client.client.get(f"/api/v1{path}", headers=client.headers)
    head = client.client.head(f"/api/v1{path}", headers=client.headers)
    assert head.status_code == got.status_code != 405
    assert head["Content-Type"] == got["Content-Type"]
    assert head.content == b""
    anonymous_get, anonymous = Client().get(f"/api/v1{path}"), Client().head(f"/api/v1{path}")
    assert anonymous.status_code == anonymous_get.status_code != 405  # public, or 401


def test_head_of_one_errand(demo: Demo, api_as: Any) -> None:
    client = api_as("kenji")
    path = f"/api/v1/errands/{demo.alice_errand.pk}/messages"
    head = client.client.head(path, headers=client.headers)
    assert head.status_code == 200 and head.content == b""
    got = client.client.get(path, headers=client.headers)
    assert int(head["Content-Length"]) == len(got.content)


def _sign_out(token: str) -> None:
    response = Client().delete("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token})
    assert response.status_code == 401  # allauth: "signed out" is a 401 without a flow


WRITES = [
    ("post", "/errands", {"title": "Find a dentist"}),
    ("patch", "/me", {"name": "Alice"}),
    ("put", "/me/consents/usage_analytics", {"granted": True}),
    ("delete", "/me", None),
    ("post", "/me/policy/acknowledge", {"version": 1}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_method_without_a_valid_credential_is_401(
    method: str, path: str, body: Any, demo: Demo
) -> None:
    from tests.conftest import sign_in

    signed_out = sign_in("alice")
    _sign_out(signed_out)
    for headers in ({}, {"X-Session-Token": "no-such-token"}, {"X-Session-Token": signed_out}):
        # A browser that was never signed in, with the CSRF checks a browser gets.
        client = Client(enforce_csrf_checks=True)
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/v1{path}", **kwargs)
        _problem(response, 401)


def test_csrf_failure_only_for_a_signed_in_browser_session(demo: Demo) -> None:
    browser = Client(enforce_csrf_checks=True)
    body = json.dumps({"title": "Find a dentist"})
    # A browser with a session that is not signed in: 401, not a CSRF failure.
    browser.get("/accounts/login/")
    assert browser.cookies.get("csrftoken")
    _problem(browser.post("/api/v1/errands", body, content_type="application/json"), 401)

    browser.force_login(demo.people["alice"])
    refused = browser.post("/api/v1/errands", body, content_type="application/json")
    assert "CSRF" in _problem(refused, 403)["detail"]
    # With the page's token (the cookie set by any page, sent back in the header): accepted.
    browser.get("/errands/new/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/errands", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201, accepted.content


@pytest.mark.parametrize("path", ["/_allauth/app/v1/auth/login", "/_allauth/app/v1/auth/signup"])
def test_a_body_over_the_limit_is_a_413_for_allauth_too(path: str, demo: Demo, api_as: Any) -> None:
    # Over DATA_UPLOAD_MAX_MEMORY_SIZE (256 KiB): allauth's sign-in answered 400.
    body = json.dumps({"email": "someone@example.com", "password": "x" * 300_000})
    _problem(Client().post(path, body, content_type="application/json"), 413)
    # The API as before: 401 without a credential, 413 with one.
    _problem(Client().post("/api/v1/errands", body, content_type="application/json"), 401)
    alice = api_as("alice")
    answer = alice.client.post(
        "/api/v1/errands", body, content_type="application/json", headers=alice.headers
    )
    _problem(answer, 413)
