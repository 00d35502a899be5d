"""Errands through the API: creation, lifecycle, assignment, chat and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.models import Errand, Message


def test_reassignment_revokes_previous_assistant_at_once(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    kenji, yuki, admin = api_as("kenji"), api_as("yuki"), api_as("admin")
    assert kenji.get(f"/errands/{errand.pk}/sealed").status_code == 200
    assert yuki.get(f"/errands/{errand.pk}/sealed").status_code == 404

    moved = admin.post(f"/errands/{errand.pk}/assign", {"assistant_id": demo.people["yuki"].pk})
    assert moved.status_code == 200
    assert moved.json()["assignee"]["name"] == "Yuki"

    for path in ("", "/sealed", "/messages"):
        assert kenji.get(f"/errands/{errand.pk}{path}").status_code == 404
        assert yuki.get(f"/errands/{errand.pk}{path}").status_code == 200
    assert kenji.post(f"/errands/{errand.pk}/messages", {"body": "still me"}).status_code == 404
    # The customer sees who handles the errand now.
    assert api_as("alice").get(f"/errands/{errand.pk}").json()["assignee"]["name"] == "Yuki"
    event = AuditEvent.objects.filter(event="errand.reassigned", target_id=str(errand.pk)).get()
    assert event.extra["previous_assignee_id"] == demo.people["kenji"].pk


def test_customer_creates_errand_with_only_a_title(demo: Demo, api_as: Any) -> None:
    response = api_as("bob").post("/errands", {"title": "Buy a SIM card"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "new" and body["assignee"] is None and body["view"] == "full"
    assert body["title"] == "Buy a SIM card" and body["details"] == ""


def test_customer_creates_errand_with_sealed_fields(demo: Demo, api_as: Any) -> None:
    bob = api_as("bob")
    created = bob.post(
        "/errands",
        {"title": "Parcel", "details": "Redeliver it", "sealed": {"phone": "03-1234-5678"}},
    ).json()
    sealed = bob.get(f"/errands/{created['id']}/sealed").json()
    assert sealed == {"phone": "03-1234-5678", "address": None, "note": None}


@pytest.mark.parametrize("role", ["kenji", "admin", "partner"])
def test_only_customers_create_errands(role: str, api_as: Any) -> None:
    assert api_as(role).post("/errands", {"title": "x"}).status_code == 403


BAD_BODIES = [
    ("malformed json", None, '{"title": '),
    ("not an object", None, '["title"]'),
    ("missing title", {"details": "x"}, None),
    ("empty title", {"title": "   "}, None),
    ("wrong type", {"title": 12}, None),
    ("unknown field", {"title": "x", "priority": "high"}, None),
    ("unknown sealed field", {"title": "x", "sealed": {"card": "4111"}}, None),
    ("too long title", {"title": "x" * 201}, None),
    ("too long details", {"title": "x", "details": "y" * 10_001}, None),
    ("control character", {"title": "x\u0000y"}, None),
    ("lone surrogate", None, '{"title": "x\\ud800"}'),
    ("null title", {"title": None}, None),
]


@pytest.mark.parametrize(("case", "body", "raw"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_errand_input_is_a_clear_4xx_and_writes_nothing(
    case: str, body: Any, raw: str | None, demo: Demo, api_as: Any
) -> None:
    alice = api_as("alice")  # signs in first: sign-ins are audited too
    before = Errand.objects.count(), AuditEvent.objects.count()
    response = alice.post("/errands", body, raw=raw)
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code and problem["detail"]
    if response.status_code == 422:
        assert problem["errors"] and all(e["field"] and e["message"] for e in problem["errors"])
    assert (Errand.objects.count(), AuditEvent.objects.count()) == before


def test_oversize_body_is_413(api_as: Any) -> None:
    response = api_as("alice").post("/errands", {"title": "x", "details": "y" * 300_000})
    assert response.status_code == 413
    assert response.json()["title"] == "Request Entity Too Large"


@pytest.mark.parametrize("errand_id", ["nope", "00000000-0000-0000-0000-000000000000", "1", "%00"])
def test_unknown_errand_ids_are_404(errand_id: str, api_as: Any) -> None:
    alice = api_as("alice")
    assert alice.get(f"/errands/{errand_id}").status_code == 404
    assert alice.post(f"/errands/{errand_id}/messages", {"body": "hi"}).status_code == 404


def test_lifecycle_and_invalid_transitions(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    alice, kenji = api_as("alice"), api_as("kenji")
    url = f"/errands/{errand.pk}/status"
    assert kenji.post(url, {"status": "done"}).status_code == 409  # must start first
    assert kenji.post(url, {"status": "in_progress"}).json()["status"] == "in_progress"
    assert alice.post(url, {"status": "done"}).status_code == 409  # only the assignee finishes
    assert kenji.post(url, {"status": "done"}).json()["status"] == "done"
    assert alice.post(url, {"status": "cancelled"}).status_code == 409  # already done
    assert kenji.post(url, {"status": "finished"}).status_code == 422
    closed = alice.post(f"/errands/{errand.pk}/messages", {"body": "thanks"})
    assert closed.status_code == 409
    assert (
        api_as("admin")
        .post(f"/errands/{errand.pk}/assign", {"assistant_id": demo.people["yuki"].pk})
        .status_code
        == 409
    )


def test_customer_cancels(demo: Demo, api_as: Any) -> None:
    response = api_as("alice").post(
        f"/errands/{demo.alice_new_errand.pk}/status", {"status": "cancelled"}
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_assign_least_loaded(demo: Demo, api_as: Any) -> None:
    # kenji and yuki each handle one errand; the tie goes to the older account (kenji).
    admin = api_as("admin")
    response = admin.post(
        f"/errands/{demo.alice_new_errand.pk}/assign", {"strategy": "least_loaded"}
    )
    assert response.status_code == 200
    assert response.json()["assignee"]["name"] == "Kenji"
    assert response.json()["status"] == "assigned"
    third = api_as("bob").post("/errands", {"title": "Taxi to Narita"}).json()
    response = admin.post(f"/errands/{third['id']}/assign", {"strategy": "least_loaded"})
    assert response.json()["assignee"]["name"] == "Yuki"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"assistant_id": 1, "strategy": "least_loaded"},
        {"assistant_id": "kenji"},
        {"strategy": "random"},
    ],
)
def test_assign_needs_exactly_one_way(body: dict[str, Any], demo: Demo, api_as: Any) -> None:
    response = api_as("admin").post(f"/errands/{demo.alice_new_errand.pk}/assign", body)
    assert response.status_code == 422


def test_assign_to_a_non_assistant_is_422(demo: Demo, api_as: Any) -> None:
    response = api_as("admin").post(
        f"/errands/{demo.alice_new_errand.pk}/assign", {"assistant_id": demo.people["bob"].pk}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "assistant_id"


def test_chat_round_trip_and_catch_up(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    alice, kenji = api_as("alice"), api_as("kenji")
    history = alice.get(f"/errands/{errand.pk}/messages").json()["items"]
    last = history[-1]["id"]
    posted = kenji.post(f"/errands/{errand.pk}/messages", {"body": "Table booked for 19:00."})
    assert posted.status_code == 201 and posted.json()["mine"] is True
    newer = alice.get(f"/errands/{errand.pk}/messages", after=last).json()
    assert [m["body"] for m in newer["items"]] == ["Table booked for 19:00."]
    assert newer["items"][0]["author"]["name"] == "Kenji" and newer["items"][0]["mine"] is False


def test_message_pagination(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    alice = api_as("alice")
    for n in range(5):
        alice.post(f"/errands/{errand.pk}/messages", {"body": f"note {n}"})
    first = alice.get(f"/errands/{errand.pk}/messages", limit=3).json()
    assert len(first["items"]) == 3 and first["has_more"] is True
    rest = alice.get(f"/errands/{errand.pk}/messages", after=first["items"][-1]["id"]).json()
    assert len(rest["items"]) == 4 and rest["has_more"] is False
    assert alice.get(f"/errands/{errand.pk}/messages", limit=0).status_code == 422


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "x" * 10_001}, {"text": "hi"}])
def test_bad_messages_write_nothing(body: dict[str, Any], demo: Demo, api_as: Any) -> None:
    before = Message.objects.count()
    response = api_as("alice").post(f"/errands/{demo.alice_errand.pk}/messages", body)
    assert response.status_code == 422
    assert Message.objects.count() == before


def test_errand_list_is_newest_first_and_paginated(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    page = alice.get("/errands", limit=1).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    assert page["items"][0]["id"] == str(demo.alice_new_errand.pk)
    assert alice.get("/errands", limit=500).status_code == 422
    assert alice.get("/errands", offset=-1).status_code == 422


def test_queue_shows_unassigned_errands_to_assistants_as_triage(demo: Demo, api_as: Any) -> None:
    response = api_as("yuki").get(f"/errands/{demo.alice_new_errand.pk}")
    assert response.status_code == 200
    assert response.json()["view"] == "triage" and "title" not in response.json()
    assert api_as("yuki").get(f"/errands/{demo.alice_new_errand.pk}/sealed").status_code == 404


def test_openapi_document_is_served_and_checks_responses(client: Any, db: None) -> None:
    from openapi_core.validation.response.exceptions import InvalidData

    from tests.openapi import spec

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and "/api/v1/errands" in response.json()["paths"]
    # The validator used by every API test really rejects a response off the contract.
    from django.http import JsonResponse
    from django.test import RequestFactory
    from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

    request = RequestFactory().get("/api/v1/me")
    bad = JsonResponse({"id": "not-a-number"})
    with pytest.raises(InvalidData):
        spec().validate_response(DjangoOpenAPIRequest(request), DjangoOpenAPIResponse(bad))
