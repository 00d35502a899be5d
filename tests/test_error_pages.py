"""Styled error pages and the favicon (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_favicon_is_served() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # ICO header


def test_404_is_a_styled_page_in_the_visitors_language() -> None:
    response = Client(headers={"Accept-Language": "ja"}).get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="error-404"' in html and "site.css" in html
    assert "そのページは見つかりませんでした" in html


def test_someone_elses_errand_is_the_same_styled_404(web_as: Any, demo: Any) -> None:
    response = web_as("bob").get(f"/errands/{demo.alice_errand.pk}/")
    assert response.status_code == 404
    assert 'data-testid="error-404"' in response.content.decode()


def test_403_is_styled() -> None:
    # A form sent without its CSRF token.
    response = Client(enforce_csrf_checks=True).post("/privacy/cookies/", {"choice": "reject"})
    assert response.status_code == 403
    assert 'data-testid="error-403"' in response.content.decode()


def test_500_renders_without_a_request_or_database() -> None:
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert 'data-testid="error-500"' in html and "site.css" in html


@pytest.mark.parametrize("path", ["/api/v1/audit/checkpoint", "/_allauth/app/v1/config"])
def test_a_fault_of_ours_on_the_api_is_problem_json_not_a_page(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """API clients parse every error as problem+json, ours included (a probe got the HTML
    error page from a JSON endpoint); the answer names no internals."""
    import allauth.headless.base.views as allauth_views

    from hisho.audit import tree

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(tree, "latest_head", broken)
    monkeypatch.setattr(allauth_views.APIView, "dispatch", broken)
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 500 and body["title"] == "Internal Server Error"
    assert "secret" not in response.content.decode()


BIG_JSON = '{"email": "' + "x" * 3_000_000 + '"}'


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/_allauth/app/v1/auth/login", "{not json", 400),
        ("post", "/_allauth/app/v1/auth/login", BIG_JSON, 413),  # API.md: 413 too large
        ("put", "/_allauth/app/v1/config", "{}", 405),
        ("post", "/_allauth/app/v1/account/phone", "{}", 404),
        ("delete", "/_allauth/app/v1/account/phone", "{}", 404),
        ("post", "/_allauth/browser/v1/auth/login", "{}", 403),  # no CSRF token
        ("get", "/_allauth/app/v1/auth/nonexistent", None, 404),
        ("get", "/_allauth/xyz", None, 404),
        ("post", "/_allauth/app/v1/auth/provider/redirect", "{}", None),
        ("post", "/api/v1/errands", "{}", 403),  # no CSRF token, signed in by cookie
    ],
)
def test_every_error_on_the_json_paths_is_problem_json(
    demo: Any, method: str, path: str, body: str | None, status: int | None
) -> None:
    """Clients of /api/ and /_allauth/ parse every answer as JSON; a probe got HTML pages
    and empty bodies from several layers (CSRF, Django's 404/400, allauth's 400 and 405)."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if path.startswith("/api/"):
        client.force_login(demo.people["alice"])
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": body, "content_type": "application/json"}
    response = getattr(client, method)(path, **kwargs)
    assert 400 <= response.status_code < 500, response.status_code
    if status is not None:
        assert response.status_code == status
    assert "json" in response["Content-Type"], (response["Content-Type"], response.content[:200])
    response.json()  # parses
    if response.status_code == 405:
        assert response["Allow"]
