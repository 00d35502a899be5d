"""The admin pages of legal disclosures."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from hisho.demo import Demo
from hisho.legal.models import DisclosureCase
from tests.legal.conftest import today


@pytest.mark.parametrize("handle", ["alice", "kenji", "partner"])
def test_other_roles_are_refused(demo: Demo, web_as: Any, open_case: Any, handle: str) -> None:
    case = open_case()
    client = web_as(handle)
    assert client.get("/staff/legal/").status_code == 403
    assert client.get(f"/staff/legal/{case.pk}/").status_code == 403
    assert client.post(f"/staff/legal/{case.pk}/approve/").status_code == 403


def test_open_approve_and_export_through_the_pages(demo: Demo, web_as: Any) -> None:
    admin, admin2 = web_as("admin"), web_as("admin2")
    response = admin.post(
        "/staff/legal/",
        {
            "authority": "Kyoto Prefectural Police",
            "legal_basis": "Art. 197(2)",
            "reference": "KYO-1",
            "person_id": demo.people["alice"].pk,
            "categories": ["errands"],
            "period_start": (today() - dt.timedelta(days=1)).isoformat(),
            "period_end": today().isoformat(),
            "deadline": today().isoformat(),
        },
    )
    assert response.status_code == 302
    case = DisclosureCase.objects.get(reference="KYO-1")
    page = admin.get(f"/staff/legal/{case.pk}/").content.decode()
    assert "Kyoto Prefectural Police" in page and "Approve" not in page  # not for the opener
    assert "Approve (second admin)" in admin2.get(f"/staff/legal/{case.pk}/").content.decode()

    admin.post(f"/staff/legal/{case.pk}/approve/")
    case.refresh_from_db()
    assert case.status == "open"
    admin2.post(f"/staff/legal/{case.pk}/approve/")
    case.refresh_from_db()
    assert case.status == "approved"

    exported = admin.post(f"/staff/legal/{case.pk}/export/")
    assert exported.status_code == 200
    assert exported["Content-Disposition"].startswith("attachment;")
    assert json.loads(exported.content)["payload"]["case"]["reference"] == "KYO-1"
    assert admin.get("/staff/legal/").status_code == 200


def test_a_bad_case_form_is_a_400(demo: Demo, web_as: Any) -> None:
    response = web_as("admin").post("/staff/legal/", {"authority": "x"})
    assert response.status_code == 400
    assert not DisclosureCase.objects.exists()
