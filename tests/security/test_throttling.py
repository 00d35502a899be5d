"""Throttling of sign-in, sign-up, reset and second-factor attempts, per account and per
IP, kept where it survives and fails closed (POLICY O2).

ASVS: v5.0.0-6.1.1/6.3.1 (brute force and credential stuffing), 6.6.3-like rate limits on
codes, 6.3.8 (the throttle answers alike for known and unknown addresses).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.test import Client, override_settings

from hisho.demo import DEMO_PASSWORD, Demo

TOO_MANY = "Too many failed login attempts"


def app_login(email: str, password: str, ip: str) -> Any:
    return Client(REMOTE_ADDR=ip).post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": email, "password": password}),
        content_type="application/json",
    )


def test_per_account_guessing_is_stopped_even_from_many_ips(demo: Demo) -> None:
    for n in range(5):
        assert app_login("alice@example.com", f"guess-{n}", f"10.0.0.{n}").status_code == 400
    # Sixth try, from yet another address, with the right password: refused.
    blocked = app_login("alice@example.com", DEMO_PASSWORD, "10.0.0.99")
    assert blocked.status_code == 400 and TOO_MANY in blocked.content.decode()
    # Unknown addresses are counted the same way (no hint which ones exist).
    for n in range(5):
        app_login("nobody@example.com", f"guess-{n}", f"10.0.1.{n}")
    unknown = app_login("nobody@example.com", "x", "10.0.1.99")
    assert unknown.content == blocked.content and unknown.status_code == blocked.status_code
    # Another account is unaffected.
    assert app_login("bob@example.com", DEMO_PASSWORD, "10.0.0.99").status_code == 200


def test_per_ip_spraying_is_stopped(demo: Demo) -> None:
    for n in range(10):
        app_login(f"person{n}@example.com", "password-spray-2026", "10.9.9.9")
    blocked = app_login("bob@example.com", DEMO_PASSWORD, "10.9.9.9")
    assert blocked.status_code == 400 and TOO_MANY in blocked.content.decode()
    assert app_login("bob@example.com", DEMO_PASSWORD, "10.9.9.10").status_code == 200


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")  # production's default
def test_sign_up_and_reset_are_throttled_per_address(demo: Demo) -> None:
    def signup(ip: str) -> Any:
        return Client(REMOTE_ADDR=ip).post(
            "/accounts/signup/",
            {
                "email": "alice@example.com",
                "password1": "passphrase-77-x",
                "password2": "passphrase-77-x",
            },
        )

    assert [signup(f"10.1.0.{n}").status_code for n in range(5)] == [302] * 5
    assert signup("10.1.0.9").status_code == 200  # the form again, with "too many"

    def reset(ip: str) -> Any:
        return Client(REMOTE_ADDR=ip).post(
            "/accounts/password/reset/", {"email": "bob@example.com"}
        )

    assert [reset(f"10.2.0.{n}").status_code for n in range(5)] == [302] * 5
    assert reset("10.2.0.9").status_code == 200  # the form again, with "too many"
    assert sum("bob@example.com" in m.to for m in mail.outbox) == 5  # no sixth mail


class BrokenCache(BaseCache):
    """A cache that is down: every call fails, as a database or Redis outage would."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("_") or name in ("key_prefix", "version", "key_func", "close"):
            return super().__getattribute__(name)

        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache is down")

        return fail


def test_no_throttle_store_means_no_sign_in(demo: Demo, settings: Any) -> None:
    """Fail closed: if the counters cannot be read, nobody is signed in."""
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}
    client = Client(raise_request_exception=False)
    response = client.post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": "alice@example.com", "password": DEMO_PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code >= 500
    assert "session_token" not in response.content.decode()


def test_production_keeps_counters_in_the_database_under_keys_that_name_nobody(
    demo: Demo,
) -> None:
    """The counters survive restarts in the database table; its keys hold neither the
    client's address nor a hash of the typed e-mail address that a list of addresses
    would reverse (allauth names both in its keys; hisho/cachekeys.py)."""
    import hashlib

    db_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "hisho_cache",
            "KEY_FUNCTION": "hisho.cachekeys.keyed_cache_key",
        }
    }
    typed = "alice@example.com"
    with override_settings(CACHES=db_cache):
        # No `createcachetable` here: the migrations made the table (next test).
        cache.clear()
        for n in range(5):
            app_login(typed, f"guess-{n}", f"10.3.0.{n}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM hisho_cache")
            keys = [row[0] for row in cursor.fetchall()]
        assert keys, "the counters are in the table"
        revealing = [hashlib.sha256(typed.encode()).hexdigest(), "10.3.0.", "login_failed"]
        assert not [k for k in keys if any(part in k for part in revealing)], keys
        assert TOO_MANY in app_login(typed, DEMO_PASSWORD, "10.3.0.9").content.decode()
        cache.clear()


@pytest.mark.django_db
def test_the_migrations_make_the_production_cache_table_in_every_mode(settings: Any) -> None:
    """This suite migrates in embedded mode (an in-memory cache), as `make run` and `make
    scaled` do. A database migrated so and then served with HISHO_MODE=production had
    no cache table: every sign-in and password reset answered 500 (found by a probe)."""
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert settings.HISHO_CACHE_TABLE == "hisho_cache"
    assert "hisho_cache" in connection.introspection.table_names()
