"""Every HTML page each person can open, for the browser sweeps (phone width, axe-core).

The URLs come from tests/test_every_page.py (`patterns()`, `concrete()`); each is first
requested with Django's test client as the person, and kept when it answers 200 with an
HTML page. The API, static files, downloads and redirects are left out. The person's
browser session is then copied into a Playwright context as its session cookie."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from hisho.demo import Demo
from tests.conftest import _record_second_factor
from tests.test_every_page import concrete, patterns

PEOPLE = ["anonymous", "alice", "kenji", "admin", "partner"]
SKIPPED_PREFIXES = ("/api/", "/_allauth/", "/static/", "/media/")
# A page no pattern names: the styled 404 must fit and pass axe-core too.
MISSING = "/no-such-page/"


def samples(demo: Demo) -> dict[str, str]:
    alice = demo.people["alice"]
    return {
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


def client_for(demo: Demo, handle: str) -> Client:
    client = Client(raise_request_exception=False)
    if handle != "anonymous":
        client.force_login(demo.people[handle])
        _record_second_factor(client, demo.people[handle])
    return client


def html_pages(client: Client, demo: Demo) -> list[str]:
    """The URLs that answer this client 200 with an HTML page (no download)."""
    urls = sorted({concrete(p, samples(demo)) for p in patterns()})
    pages = []
    for url in urls:
        if url.startswith(SKIPPED_PREFIXES):
            continue
        response = client.get(url)
        if response.status_code != 200:
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if "attachment" in response.get("Content-Disposition", ""):
            continue
        pages.append(url)
    return [*pages, MISSING]


def browser_context(browser: Any, site: str, client: Client, **options: Any) -> Any:
    """A Playwright context carrying the client's session (none for anonymous)."""
    context = browser.new_context(**options)
    name = settings.SESSION_COOKIE_NAME
    if name in client.cookies:
        context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": site}])
    return context
