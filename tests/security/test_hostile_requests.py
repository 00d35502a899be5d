"""Requests a hostile or broken client can send to the pages (not the API, which
schemathesis covers): each gets a 4xx or the page it would get anyway — never a 500 —
and nothing is half-done. Found by probing every page, form and header as an attacker
would (the test client re-raises any exception a view lets through)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hisho.demo import Demo
from hisho.desk.models import ErrandLabel, Label
from hisho.privacy.models import ConsentRecord

BAD_URLS = ["http://[", "http://[::1", "http://]", "//[", "http://a:b@[::1/"]


@pytest.mark.parametrize("referer", BAD_URLS)
def test_a_referer_that_is_no_url_changes_nothing(demo: Demo, referer: str) -> None:
    """Every response passes the cookie question's "came from one of our pages" check."""
    anonymous = Client(HTTP_REFERER=referer)
    for path in ("/", "/privacy/", "/accounts/login/"):
        assert anonymous.get(path).status_code == 200, path
    assert anonymous.get("/api/v1/errands").status_code == 401
    signed_in = Client(HTTP_REFERER=referer)
    signed_in.force_login(demo.people["alice"])
    assert signed_in.get("/errands/").status_code == 200
    assert signed_in.get("/api/v1/errands").status_code == 200


@pytest.mark.parametrize("target", ["x", "errand_detail", "²", "on", "//evil.example/", "/\\evil"])
def test_a_next_that_is_not_a_local_path_goes_back_to_the_forms_own_page(
    demo: Demo, target: str
) -> None:
    client = Client()
    client.force_login(demo.people["alice"])
    switched = client.post("/language/", {"language": "ja", "next": target})
    assert switched.status_code == 302 and switched["Location"] == "/"
    before = ConsentRecord.objects.count()
    chose = client.post("/privacy/cookies/", {"choice": "accept", "next": target})
    assert chose.status_code == 302 and chose["Location"] == "/privacy/cookies/"
    # The choice is kept on the account and in the browser alike, never on one only.
    assert ConsentRecord.objects.count() > before and chose.cookies


def test_a_local_next_is_still_followed(demo: Demo) -> None:
    client = Client()
    switched = client.post("/language/", {"language": "en", "next": "/privacy/?a=1"})
    assert switched["Location"] == "/privacy/?a=1"


@pytest.mark.parametrize("target", BAD_URLS)
def test_allauth_pages_take_a_next_that_is_no_url(demo: Demo, target: str) -> None:
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        assert Client().get(path, {"next": target}).status_code == 200, path
    posted = Client().post(
        "/accounts/password/reset/", {"email": "nobody@example.com", "next": target}
    )
    assert posted.status_code in (200, 302)


@pytest.mark.parametrize(
    "query",
    [
        {"until": "9999-12-31"},
        {"since": "0001-01-01"},
        {"since": "0001-01-01", "until": "9999-12-31"},
        {"person": "9" * 20},
        {"before": "9" * 20},
    ],
)
def test_the_audit_pages_filters_refuse_days_and_ids_out_of_range(
    web_as: Any, query: dict[str, str]
) -> None:
    assert web_as("admin").get("/staff/audit/", query).status_code == 400


def test_labels_that_are_not_ids_change_nothing(demo: Demo, web_as: Any) -> None:
    label = Label.objects.create(name_en="Later", name_ja="後で")
    kenji = web_as("kenji")
    page = f"/errands/{demo.alice_errand.pk}/labels/"
    for odd in ("9" * 20, str(2**63), "٣", "-1", "0", "9" * 5000):
        answered = kenji.post(page, {"label": [str(label.pk), odd]}, follow=True)
        assert answered.status_code == 200
        assert "Choose labels from the list." in answered.content.decode()
    assert not ErrandLabel.objects.exists()
    assert kenji.post(page, {"label": [str(label.pk)]}).status_code == 302
    assert ErrandLabel.objects.filter(label=label).count() == 1


DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/_allauth/browser/v1/auth/login", "application/json"),
        ("/_allauth/app/v1/auth/login", "application/json"),
        ("/_allauth/app/v1/auth/login", "text/plain"),  # allauth parses it as JSON anyway
        ("/_allauth/browser/v1/auth/signup", "application/json"),
        ("/webhooks/payments/sandbox", "application/json"),
        ("/webhooks/payments/sandbox", "text/plain"),
        ("/api/v1/errands", "application/json"),
    ],
)
def test_json_nested_too_deep_is_a_400(demo: Demo, path: str, content_type: str) -> None:
    answered = Client().post(path, DEEP, content_type=content_type)
    assert 400 <= answered.status_code < 500, (path, answered.status_code)


def test_json_of_an_ordinary_depth_still_passes(demo: Demo) -> None:
    nested = json.dumps({"email": "a@example.com", "password": "x", "x": [[[[1]]]]})
    answered = Client().post("/_allauth/browser/v1/auth/login", nested, "application/json")
    assert answered.status_code in (400, 401)  # allauth's own answer to a bad password
    assert "nests deeper" not in answered.content.decode()


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options", "head", "trace"])
@pytest.mark.parametrize("client_kind", ["app", "browser"])
def test_the_phone_sign_in_path_does_not_exist(demo: Demo, method: str, client_kind: str) -> None:
    answered = getattr(Client(), method)(f"/_allauth/{client_kind}/v1/account/phone")
    assert answered.status_code == 404
