"""Shared fixtures: the demo people (alice, bob, kenji, yuki, admin, admin2, partner)
and their errands, built once per test session through the real actions."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from hisho.demo import DEMO_PASSWORD, Demo, email_of, load_demo
from tests.openapi import ApiClient

ROLES = ["anonymous", "alice", "bob", "kenji", "yuki", "admin", "partner"]

# A deliberately cheap hasher first, for speed: every sign-in and sign-up in the suite
# would otherwise spend ~50 ms in Argon2id. Argon2id stays in the list, and
# tests/accounts/test_accounts.py::test_passwords_are_hashed_with_argon2id checks the
# production setting with it first.
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    settings.PASSWORD_HASHERS = [FAST_HASHER, *settings.PASSWORD_HASHERS]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    # The demo world exists for the whole session; each test's changes roll back.
    with django_db_blocker.unblock():
        load_demo()
        # The demo's own notices (its assignments e-mail people) were queued as jobs; they
        # belong to no test, so a test that runs the worker sees only its own.
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()
    yield


CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium keeps trying to reach the closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never Playwright's own browser download)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see README)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # stay synchronous, which Django would otherwise refuse inside a running loop. Allowed
    # only while a browser module runs: left set, it would leak into later tests, e.g.
    # `check --deploy` (async.E001).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()


@pytest.fixture
def site(browser: Any, live_server: Any, transactional_db: None) -> Iterator[str]:
    """The live server's address, for a browser test on the test database. Before that
    database is emptied, every browser context the test opened is closed and the requests
    they left running end: on PostgreSQL a request still being served (a page's late
    fetch, its service worker's) held a lock the flush's TRUNCATE waited on while the
    flush held one the request wanted — a deadlock, seen on CI."""
    yield str(live_server.url)
    for context in browser.contexts:
        context.close()
    _wait_for_other_transactions()


def _wait_for_other_transactions(timeout: float = 10) -> None:
    """Until no other connection to the test database is inside a transaction."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite: a transaction takes the one write lock first (IMMEDIATE): no deadlock
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # allauth keeps rate-limit counters in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _own_erasure_ledger(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Erasures also go to the erasure ledger, a file (hisho/backups/ledger.py): each test
    # gets one of its own, as its database changes roll back and a file's would not.
    settings.HISHO_ERASURE_LEDGER_FILE = tmp_path_factory.mktemp("ledger") / "erasure.ledger"


@pytest.fixture(autouse=True)
def attachment_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Each test's attachments go to a directory of its own (files do not roll back)."""
    location = tmp_path_factory.mktemp("attachments")
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def demo(db: None) -> Demo:
    return load_demo()


def sign_in(handle: str) -> str:
    """Sign in through allauth headless (the app flow of API.md); returns the token.
    People with TOTP enrolled (the demo staff) complete the second step with a code."""
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": email_of(handle), "password": DEMO_PASSWORD}),
        content_type="application/json",
    )
    response = _second_factor_step(handle, response)
    assert response.status_code == 200, response.content
    token: str = response.json()["meta"]["session_token"]
    return token


@pytest.fixture
def api_as(demo: Demo) -> Any:
    """api_as("alice") → an ApiClient signed in as alice; api_as("anonymous") → none."""
    cache: dict[str, ApiClient] = {}

    def make(handle: str) -> ApiClient:
        if handle not in cache:
            cache[handle] = ApiClient(None if handle == "anonymous" else sign_in(handle))
        return cache[handle]

    return make


@pytest.fixture
def web_as(demo: Demo) -> Any:
    """web_as("alice") → a Django test client with alice's browser session."""

    def make(handle: str) -> Client:
        client = Client()
        if handle != "anonymous":
            client.force_login(demo.people[handle])
            _record_second_factor(client, demo.people[handle])
        return client

    return make


# --- Second factor for staff (issue 6: hisho/accounts/mfa.py) ---------------------------
# The demo staff have TOTP enrolled (DEMO_TOTP_SECRET); the fixtures above sign them in
# with a code, as the app and the login page do, so every test sees staff as they are in
# production: enrolled, and signed in with their second factor.


def totp_code(secret: str) -> str:
    """The current TOTP code, never one about to expire: Hisho accepts codes of the
    current 30-second window only (MFA_TOTP_TOLERANCE = 0), so a code taken in a window's
    last seconds could reach the server in the next window and be refused."""
    from hisho.accounts.mfa import current_totp_code

    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.05)
    return current_totp_code(secret)


def _second_factor_step(handle: str, response: Any) -> Any:
    """If allauth asks for the second factor, answer with the current TOTP code."""
    from allauth.mfa.models import Authenticator

    from hisho.demo import DEMO_TOTP_SECRET
    from tests.compat.allauth_testkit import forget_totp_code_use

    if response.status_code != 401:
        return response
    body = response.json()
    flows = body.get("data", {}).get("flows", [])
    if not any(f.get("id") == "mfa_authenticate" and f.get("is_pending") for f in flows):
        return response
    code = totp_code(DEMO_TOTP_SECRET)
    response = Client().post(
        "/_allauth/app/v1/auth/2fa/authenticate",
        json.dumps({"code": code}),
        content_type="application/json",
        headers={"X-Session-Token": body["meta"]["session_token"]},
    )
    # A code works once (ASVS 6.5.1, tests/security/test_mfa.py); the suite signs the
    # same person in several times within one 30-second window, so it forgets the use.
    totp = Authenticator.objects.get(user__email=email_of(handle), type="totp")
    forget_totp_code_use(totp, code)
    return response


def _record_second_factor(client: Client, user: Any) -> None:
    """force_login skips allauth's stages; record the second factor the way allauth does
    after a TOTP step, in the client's session (staff with TOTP enrolled only)."""
    import types

    from allauth.mfa.models import Authenticator

    from hisho.compat.allauth import record_authentication

    totp = Authenticator.objects.filter(user_id=user.pk, type="totp").first()
    if totp is None:
        return
    session = client.session
    request = types.SimpleNamespace(session=session)
    record_authentication(request, user, "password", email=user.email)
    record_authentication(request, user, "mfa", id=totp.pk, type="totp")
    session.save()
