"""Per-purpose consent (POLICY O5, K10): nothing pre-ticked, withdrawing as easy as
granting, every answer recorded with its time, policy version and how it was given."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.privacy.models import ConsentRecord
from hisho.privacy.policy import current_policy
from tests.privacy.conftest import new_purpose

pytestmark = pytest.mark.django_db

CONSENT_PURPOSES = ["usage_analytics", "newsletters", "surveys", "personalised_offers"]


def states(client: Any) -> dict[str, dict[str, Any]]:
    response = client.get("/me/consents")
    assert response.status_code == 200
    return {item["purpose"]: item for item in response.json()}


def test_every_consent_purpose_starts_off_and_unanswered(api_as: Any) -> None:
    listed = states(api_as("alice"))
    assert list(listed) == CONSENT_PURPOSES
    assert [p.key for p in current_policy().consent_purposes] == CONSENT_PURPOSES
    for item in listed.values():
        assert item["granted"] is False and item["answered_at"] is None
        assert item["title"] and item["description"] and item["data_use"]


def test_grant_and_withdraw_round_trip(api_as: Any, demo: Any) -> None:
    alice = api_as("alice")
    granted = alice.put("/me/consents/surveys", {"granted": True})
    assert granted.status_code == 200
    body = granted.json()
    assert body["granted"] is True and body["how"] == "api" and body["policy_version"] == 1
    assert states(alice)["surveys"]["granted"] is True
    withdrawn = alice.put("/me/consents/surveys", {"granted": False})
    assert withdrawn.status_code == 200 and withdrawn.json()["granted"] is False
    assert states(alice)["surveys"]["granted"] is False
    records = list(ConsentRecord.objects.filter(user=demo.people["alice"]).order_by("at", "id"))
    assert [(r.purpose, r.granted, r.how) for r in records] == [
        ("surveys", True, "api"),
        ("surveys", False, "api"),
    ]
    # Saying the same again records nothing new.
    alice.put("/me/consents/surveys", {"granted": False})
    assert ConsentRecord.objects.filter(user=demo.people["alice"]).count() == 2


def test_one_persons_consent_is_theirs_alone(api_as: Any) -> None:
    api_as("alice").put("/me/consents/surveys", {"granted": True})
    for handle in ("bob", "kenji", "admin"):
        assert states(api_as(handle))["surveys"]["granted"] is False


def test_unknown_or_non_consent_purpose_is_404(api_as: Any) -> None:
    alice = api_as("alice")
    for purpose in ("selling_data", "provide_service", "Newsletters", "usage_analytics.x"):
        response = alice.put(f"/me/consents/{purpose}", {"granted": True})
        assert response.status_code == 404, purpose
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    ['{"granted": "yes"}', '{"granted": 1}', "{}", '{"granted": true, "why": "x"}', "[", "null"],
)
def test_bad_input_is_a_clear_4xx(api_as: Any, body: str) -> None:
    response = api_as("alice").client.put(
        "/api/v1/me/consents/newsletters",
        body,
        content_type="application/json",
        headers=api_as("alice").headers,
    )
    assert 400 <= response.status_code < 500
    assert not ConsentRecord.objects.exists()


def test_anonymous_is_401(api_as: Any) -> None:
    assert api_as("anonymous").get("/me/consents").status_code == 401
    assert api_as("anonymous").put("/me/consents/surveys", {"granted": True}).status_code == 401


def test_web_page_offers_allow_and_dont_allow_and_nothing_is_pre_ticked(web_as: Any) -> None:
    client = web_as("alice")
    page = client.get("/me/consents/").content.decode()
    assert "checked" not in page
    assert page.count('value="1"') == page.count('value="0"') == len(CONSENT_PURPOSES)
    client.post("/me/consents/", {"purpose": "surveys", "granted": "1"})
    assert ConsentRecord.objects.get(purpose="surveys").how == "web_form"
    client.post("/me/consents/", {"purpose": "surveys", "granted": "0"})
    assert not ConsentRecord.objects.filter(purpose="surveys").order_by("-at", "-id")[0].granted
    # Bad input changes nothing.
    assert (
        client.post("/me/consents/", {"purpose": "surveys", "granted": "maybe"}).status_code == 302
    )
    assert client.post("/me/consents/", {"purpose": "nope", "granted": "1"}).status_code == 404
    assert ConsentRecord.objects.count() == 2
    assert web_as("anonymous").get("/me/consents/").status_code == 302


def test_a_changed_purpose_asks_again(api_as: Any, changed_policy: Any) -> None:
    alice = api_as("alice")
    alice.put("/me/consents/surveys", {"granted": True})

    def widen(document: dict[str, Any]) -> None:
        surveys = next(p for p in document["purposes"] if p["key"] == "surveys")
        surveys["description"]["en"] += " Now weekly."
        new_purpose(document)

    changed_policy(widen)
    listed = states(alice)
    assert listed["surveys"]["granted"] is False
    assert listed["surveys"]["asks_again"] is True
    assert listed["partner_offers"]["granted"] is False
    assert listed["newsletters"]["asks_again"] is False
