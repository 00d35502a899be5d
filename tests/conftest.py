"""Shared fixtures: the demo people (alice, bob, kenji, yuki, admin, admin2, partner)
and their errands, built once per test session through the real actions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from hisho.demo import DEMO_PASSWORD, Demo, email_of, load_demo
from tests.openapi import ApiClient

ROLES = ["anonymous", "alice", "bob", "kenji", "yuki", "admin", "partner"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    # The demo world exists for the whole session; each test's changes roll back.
    with django_db_blocker.unblock():
        load_demo()
    yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # allauth keeps rate-limit counters in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(db: None) -> Demo:
    return load_demo()


def sign_in(handle: str) -> str:
    """Sign in through allauth headless (the app flow of API.md); returns the token."""
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": email_of(handle), "password": DEMO_PASSWORD}),
        content_type="application/json",
    )
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
        return client

    return make
