"""Every page renders: each URL pattern — Hisho's, allauth's, the API's and Django's
admin site — requested with GET as anonymous, as each demo person and as a superuser,
answers without a 5xx. (The sessions page once answered 500 because a template tag
library was missing; no test looked.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from hisho.accounts.models import User
from hisho.demo import Demo

HANDLES = ["anonymous", "alice", "bob", "kenji", "yuki", "admin", "admin2", "partner", "root"]


def patterns(resolvers: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete(pattern: str, samples: dict[str, str]) -> str:
    """A URL for `pattern` with each parameter filled from `samples` ("1" otherwise)."""
    path = pattern.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: samples.get(m.group(1), "1"), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: samples.get(m.group(1), "1"), path)
    return "/" + path


def test_concrete_urls() -> None:
    samples = {"errand_id": "e", "key": "k"}
    assert concrete("errands/<str:errand_id>/", samples) == "/errands/e/"
    assert concrete("api/v1/errands/<errand_id>", samples) == "/api/v1/errands/e"
    assert concrete("accounts/^confirm-email/(?P<key>[-:\\w]+)/$", samples) == (
        "/accounts/confirm-email/k/"
    )
    assert concrete("x/<int:pk>/", samples) == "/x/1/"


@pytest.fixture
def clients(demo: Demo, web_as: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Client]:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root-of-all-powers-1")
    call_command("createsuperuser", email="root@example.com", interactive=False, verbosity=0)
    out = {}
    for handle in HANDLES:
        if handle == "root":
            client = Client(raise_request_exception=False)
            client.force_login(User.objects.get(email="root@example.com"))
        else:
            client = web_as(handle)
            client.raise_request_exception = False
        out[handle] = client
    return out


def test_every_page_answers_without_a_server_error(demo: Demo, clients: dict[str, Client]) -> None:
    alice = demo.people["alice"]
    samples = {
        "errand_id": str(demo.alice_errand.pk),
        "person_id": str(alice.pk),
        "case_id": "5d0c7a1e-0000-4000-8000-000000000000",
        "language": "ja",
        "name": "export",
        "number": "1",
        "purpose": "usage_analytics",
        "provider_id": "oidc",
        "object_id": str(alice.pk),
        "content_type_id": "1",
    }
    urls = sorted({concrete(p, samples) for p in patterns()})
    assert len(urls) > 150  # Hisho's, allauth's, the API's and the admin site's
    failures = []
    for handle, client in clients.items():
        for url in urls:
            status = client.get(url).status_code
            if status >= 500:
                failures.append(f"{handle} GET {url} → {status}")
    assert not failures, "\n".join(failures)
