"""The "Connected accounts" page and API: only the person sees or deletes what a provider
returned for them (POLICY K2; house rule 2)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount

from hisho.demo import Demo

ALICE_DATA = {"name": "Alice at Google", "email": "alice@example.com", "sub": "g-alice-1"}


@pytest.fixture
def alice_google(demo: Demo) -> SocialAccount:
    return SocialAccount.objects.create(
        user=demo.people["alice"], provider="google", uid="g-alice-1", extra_data=ALICE_DATA
    )


def test_alice_sees_what_google_returned(
    alice_google: SocialAccount, api_as: Any, web_as: Any
) -> None:
    listed = api_as("alice").get("/me/connected-accounts").json()
    assert listed == [
        {
            "id": alice_google.pk,
            "provider": "google",
            "provider_name": "Google",
            "uid": "g-alice-1",
            "connected_at": listed[0]["connected_at"],
            "last_login": listed[0]["last_login"],
            "received": ALICE_DATA,
        }
    ]
    assert "Alice at Google" in web_as("alice").get("/me/connected/").content.decode()


@pytest.mark.parametrize("handle", ["bob", "yuki", "admin", "partner"])
def test_nobody_else_sees_or_deletes_it(
    handle: str, alice_google: SocialAccount, api_as: Any, web_as: Any
) -> None:
    api = api_as(handle)
    assert api.get("/me/connected-accounts").json() == []
    assert api.delete(f"/me/connected-accounts/{alice_google.pk}").status_code == 404
    page = web_as(handle).get("/me/connected/").content.decode()
    assert "Alice at Google" not in page
    assert SocialAccount.objects.filter(pk=alice_google.pk).exists()


def test_anonymous_gets_nothing(alice_google: SocialAccount, api_as: Any, web_as: Any) -> None:
    assert api_as("anonymous").get("/me/connected-accounts").status_code == 401
    assert web_as("anonymous").get("/me/connected/").status_code == 302


@pytest.mark.parametrize("bad", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_bad_ids_are_a_clear_4xx(bad: str, alice_google: SocialAccount, api_as: Any) -> None:
    response = api_as("alice").delete(f"/me/connected-accounts/{bad}")
    assert 400 <= response.status_code < 500
    assert SocialAccount.objects.filter(pk=alice_google.pk).exists()


def test_alice_deletes_it(alice_google: SocialAccount, api_as: Any) -> None:
    alice = api_as("alice")  # signed in just now: recent enough
    assert alice.delete(f"/me/connected-accounts/{alice_google.pk}").json() == []
    assert not SocialAccount.objects.filter(pk=alice_google.pk).exists()
