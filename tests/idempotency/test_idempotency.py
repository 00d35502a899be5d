"""Idempotent retries (API.md, "Errors and retries"; issue 14)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hisho.api import api
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.models import Errand, Message
from hisho.idempotency.actions import (
    LEASE,
    KeyInUse,
    do_claim_idempotency_key,
    do_complete_idempotency_key,
    do_expire_idempotency_records,
    key_digest,
    request_fingerprint,
)
from hisho.idempotency.models import IdempotencyRecord, State
from hisho.privacy.tasks import enforce_retention
from tests.openapi import validate


def post(client: Any, path: str, body: Any, key: str | None) -> Any:
    headers = dict(client.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = client.client.post(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers
    )
    validate(response)
    return response


def test_a_retried_errand_is_created_once(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    before = Errand.objects.count()
    body = {"title": "Book a table for 4 on Friday", "sealed": {"phone": "090-1234-5678"}}
    first = post(alice, "/errands", body, "k-1")
    again = post(alice, "/errands", body, "k-1")
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Errand.objects.count() == before + 1
    created = AuditEvent.objects.filter(event="errand.created", target_id=first.json()["id"])
    assert created.count() == 1
    # Without a key, the same body is simply a new errand.
    assert post(alice, "/errands", body, None).json()["id"] != first.json()["id"]


def test_a_retried_message_is_posted_once_and_its_body_is_not_kept(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    kenji = api_as("kenji")
    before = Message.objects.filter(errand=errand).count()
    body = {"body": "I called the restaurant: Friday 19:00 is free."}
    first = post(kenji, f"/errands/{errand.pk}/messages", body, "m-1")
    again = post(kenji, f"/errands/{errand.pk}/messages", body, "m-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Message.objects.filter(errand=errand).count() == before + 1
    record = IdempotencyRecord.objects.get(key=key_digest("m-1"))
    assert record.state == State.DONE and record.resource_id == str(first.json()["id"])
    stored = " ".join(str(getattr(record, f.attname)) for f in IdempotencyRecord._meta.fields)
    assert "restaurant" not in stored and "19:00" not in stored


def test_same_key_other_body_is_422(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    assert post(alice, "/errands", {"title": "One"}, "k-2").status_code == 201
    other = post(alice, "/errands", {"title": "Two"}, "k-2")
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    # …and on another endpoint too: the key names one request.
    errand = demo.alice_errand
    elsewhere = post(alice, f"/errands/{errand.pk}/messages", {"body": "One"}, "k-2")
    assert elsewhere.status_code == 422


def test_same_key_while_the_first_is_running_is_409(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    body = {"title": "Still running"}
    fingerprint = request_fingerprint("POST", "/api/v1/errands", json.dumps(body).encode())
    do_claim_idempotency_key(actor=demo.people["alice"], key="k-3", fingerprint=fingerprint)
    before = Errand.objects.count()
    busy = post(alice, "/errands", body, "k-3")
    assert busy.status_code == 409 and busy["Content-Type"] == "application/problem+json"
    assert Errand.objects.count() == before


def test_a_claim_whose_request_died_is_taken_over_once_its_lease_ends(
    demo: Demo, api_as: Any
) -> None:
    alice = demo.people["alice"]
    body = {"title": "The server was killed"}
    fingerprint = request_fingerprint("POST", "/api/v1/errands", json.dumps(body).encode())
    dead = do_claim_idempotency_key(
        actor=alice, key="k-4", fingerprint=fingerprint, now=timezone.now() - LEASE * 2
    )
    retry = post(api_as("alice"), "/errands", body, "k-4")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    # The dead try can never complete now (fenced): its write would roll back with it.
    with pytest.raises(KeyInUse):
        do_complete_idempotency_key(claim=dead, status_code=201, resource_id="x")
    assert post(api_as("alice"), "/errands", body, "k-4").json()["id"] == retry.json()["id"]


def test_keys_are_per_person(demo: Demo, api_as: Any) -> None:
    body = {"title": "Same key, two people"}
    alice = post(api_as("alice"), "/errands", body, "shared")
    bob = post(api_as("bob"), "/errands", body, "shared")
    assert alice.status_code == bob.status_code == 201
    assert alice.json()["id"] != bob.json()["id"] and "Idempotent-Replayed" not in bob


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_400(key: str, demo: Demo, api_as: Any) -> None:
    before = Errand.objects.count()
    response = post(api_as("alice"), "/errands", {"title": "x"}, key)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Errand.objects.count() == before


def test_a_failed_request_frees_its_key(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    assert post(alice, "/errands", {"title": "a\x00b"}, "k-5").status_code == 422
    assert not IdempotencyRecord.objects.filter(key=key_digest("k-5")).exists()
    assert post(alice, "/errands", {"title": "Fixed"}, "k-5").status_code == 201


def test_keys_expire_after_24_hours_and_through_retention(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    first = post(alice, "/errands", {"title": "Yesterday"}, "k-6")
    IdempotencyRecord.objects.filter(key=key_digest("k-6")).update(
        created_at=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )
    later = post(alice, "/errands", {"title": "Yesterday"}, "k-6")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(days=1, hours=1))
    assert do_expire_idempotency_records() >= 1
    assert not IdempotencyRecord.objects.exists()
    post(alice, "/errands", {"title": "Fresh"}, "k-7")
    assert do_expire_idempotency_records() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    assert enforce_retention.call()["retry_records"] == 1


def test_the_document_offers_the_header_on_every_creating_post() -> None:
    document = json.loads(json.dumps(api.get_openapi_schema(path_params={}), default=str))
    creating = [
        (path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method == "post" and "201" in operation["responses"]
    ]
    assert {path for path, _ in creating} >= {
        "/api/v1/errands",
        "/api/v1/errands/{errand_id}/messages",
        "/api/v1/legal/cases",
    }
    for _, operation in creating:
        header = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header and header[0]["in"] == "header" and not header[0]["required"]
        assert header[0]["schema"]["maxLength"] == 255
        assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


def test_anonymous_retries_are_401(demo: Demo) -> None:
    response = Client().post(
        "/api/v1/errands",
        json.dumps({"title": "x"}),
        content_type="application/json",
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 401
