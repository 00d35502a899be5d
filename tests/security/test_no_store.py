"""Nothing answered to a signed-in request may be kept by a cache (found by attacking as
an insider: no private page or API answer carried Cache-Control, and the API's Vary did
not name X-Session-Token, the header that picks the person)."""

from __future__ import annotations

from typing import Any

from hisho.demo import Demo


def test_api_answers_to_a_signed_in_client_are_never_stored(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    errand = demo.alice_errand
    for path in ("/me", f"/errands/{errand.pk}/sealed", f"/errands/{errand.pk}/messages"):
        response = alice.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "private, no-store", path
    refused = api_as("bob").get(f"/errands/{errand.pk}/sealed")
    assert refused.status_code == 404 and refused["Cache-Control"] == "private, no-store"


def test_private_pages_are_never_stored(demo: Demo, web_as: Any) -> None:
    alice = web_as("alice")
    for path in ("/me/", f"/errands/{demo.alice_errand.pk}/", "/me/access-log/"):
        response = alice.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "private, no-store", path


def test_public_pages_for_visitors_keep_their_own_policy(client: Any, db: None) -> None:
    response = client.get("/")
    assert "no-store" not in response.get("Cache-Control", "")
