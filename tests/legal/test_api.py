"""`/api/v1/legal/cases`: admins only (403 for other roles), 404 for unknown cases,
problem+json for bad input; responses validated against the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from hisho.demo import Demo
from hisho.signing.service import verify_document
from tests.legal.conftest import today


def case_body(demo: Demo, **changes: Any) -> dict[str, Any]:
    body = {
        "authority": "Osaka Prefectural Police",
        "legal_basis": "Code of Criminal Procedure, Art. 197(2)",
        "reference": "OSK-77",
        "person_id": demo.people["bob"].pk,
        "categories": ["errands"],
        "period_start": (today() - dt.timedelta(days=7)).isoformat(),
        "period_end": today().isoformat(),
        "deadline": (today() + dt.timedelta(days=7)).isoformat(),
    }
    body.update(changes)
    return body


def test_the_whole_process_over_the_api(demo: Demo, api_as: Any) -> None:
    admin, admin2 = api_as("admin"), api_as("admin2")
    response = admin.post("/legal/cases", case_body(demo))
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["status"] == "open" and case["opened_by_id"] == demo.people["admin"].pk
    path = f"/legal/cases/{case['id']}"

    assert admin.post(f"{path}/export").status_code == 409  # not approved
    assert admin.post(f"{path}/approve").status_code == 403  # own case
    approved = admin2.post(f"{path}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["grant_expires_at"]

    exported = admin2.post(f"{path}/export")
    assert exported.status_code == 200
    bundle = exported.json()
    assert verify_document(bundle)["data"]["errands"][0]["title"].startswith("Find an English")
    assert admin.get(path).json()["status"] == "disclosed"
    assert [c["id"] for c in admin.get("/legal/cases").json()] == [case["id"]]


def test_reject_and_defer_over_the_api(demo: Demo, api_as: Any) -> None:
    admin, admin2 = api_as("admin"), api_as("admin2")
    case = admin.post("/legal/cases", case_body(demo)).json()
    path = f"/legal/cases/{case['id']}"
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    deferred = admin.post(f"{path}/defer-notice", {"until": until, "reason": "Gag order"})
    assert deferred.status_code == 200 and deferred.json()["deferral_reason"] == "Gag order"
    assert admin2.post(f"{path}/reject", {"reason": ""}).status_code == 422
    rejected = admin2.post(f"{path}/reject", {"reason": "Out of scope"})
    assert rejected.status_code == 200 and rejected.json()["rejection_reason"] == "Out of scope"
    assert admin2.post(f"{path}/approve").status_code == 409


@pytest.mark.parametrize("handle", ["alice", "bob", "kenji", "yuki", "partner"])
def test_other_roles_lack_the_function(demo: Demo, api_as: Any, handle: str) -> None:
    case = api_as("admin").post("/legal/cases", case_body(demo)).json()
    client = api_as(handle)
    assert client.get("/legal/cases").status_code == 403
    assert client.post("/legal/cases", case_body(demo)).status_code == 403
    assert client.get(f"/legal/cases/{case['id']}").status_code == 403
    assert client.post(f"/legal/cases/{case['id']}/approve").status_code == 403
    assert client.post(f"/legal/cases/{case['id']}/export").status_code == 403


def test_anonymous_is_401(demo: Demo, api_as: Any) -> None:
    assert api_as("anonymous").get("/legal/cases").status_code == 401


def test_unknown_cases_are_404(demo: Demo, api_as: Any) -> None:
    admin = api_as("admin")
    assert admin.get(f"/legal/cases/{uuid.uuid4()}").status_code == 404
    assert admin.get("/legal/cases/not-a-uuid").status_code == 404
    assert admin.post(f"/legal/cases/{uuid.uuid4()}/approve").status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"categories": []},
        {"categories": ["passwords"]},
        {"person_id": "7"},
        {"period_start": "yesterday"},
        {"period_start": "0001-01-01"},
        {"period_end": "9999-12-31"},
        {"unknown": 1},
        {"authority": "x" * 201},
        {"authority": "bad\x00text"},
        {"person_id": 999999},
    ],
)
def test_bad_input_is_a_clear_4xx(demo: Demo, api_as: Any, changes: dict[str, Any]) -> None:
    response = api_as("admin").post("/legal/cases", case_body(demo, **changes))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"]
