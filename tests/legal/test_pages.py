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


# Periods no bundle can be made for: the day after 9999-12-31 does not exist, and the start
# of 0001-01-01 in Tokyo is a moment before the first one UTC can hold.
EXTREME_PERIODS = [
    ("0001-01-01", "9999-12-31"),
    ("0001-01-01", None),
    (None, "9999-12-31"),
]


def case_form(demo: Demo, start: str | None, end: str | None) -> dict[str, Any]:
    return {
        "authority": "Kyoto Prefectural Police",
        "legal_basis": "Art. 197(2)",
        "reference": "KYO-2",
        "person_id": demo.people["alice"].pk,
        "categories": ["profile", "errands", "messages"],
        "period_start": start or (today() - dt.timedelta(days=1)).isoformat(),
        "period_end": end or today().isoformat(),
        "deadline": today().isoformat(),
    }


@pytest.mark.parametrize(("start", "end"), EXTREME_PERIODS)
def test_a_period_no_bundle_can_be_made_for_is_refused(
    demo: Demo, web_as: Any, start: str | None, end: str | None
) -> None:
    response = web_as("admin").post("/staff/legal/", case_form(demo, start, end))
    assert response.status_code == 400
    field = "period_start" if start else "period_end"
    assert response.context["form"].errors[field] == [
        "The period must lie between 0001-01-02 and 9999-12-30."
    ]
    assert not DisclosureCase.objects.exists()


@pytest.mark.parametrize(("start", "end"), EXTREME_PERIODS)
def test_a_case_stored_with_an_extreme_period_can_still_be_exported(
    demo: Demo,
    web_as: Any,
    every_kind_declared: frozenset[str],
    start: str | None,
    end: str | None,
) -> None:
    """Cases opened before the action refused such periods: their export covers all time."""
    admin, admin2 = web_as("admin"), web_as("admin2")
    assert admin.post("/staff/legal/", case_form(demo, None, None)).status_code == 302
    case = DisclosureCase.objects.get(reference="KYO-2")
    # A raw write on purpose: no action stores such a period any more.
    DisclosureCase.objects.filter(pk=case.pk).update(
        period_start=dt.date.fromisoformat(start) if start else case.period_start,
        period_end=dt.date.fromisoformat(end) if end else case.period_end,
    )
    admin2.post(f"/staff/legal/{case.pk}/approve/")
    exported = admin.post(f"/staff/legal/{case.pk}/export/")
    assert exported.status_code == 200
    payload = json.loads(exported.content)["payload"]
    assert payload["scope"]["period"]["start"] == (start or case.period_start.isoformat())
    assert payload["scope"]["period"]["end"] == (end or case.period_end.isoformat())
    assert str(demo.alice_errand.pk) in [e["id"] for e in payload["data"]["errands"]]


def test_the_forms_are_labelled_in_the_admins_language(
    demo: Demo, web_as: Any, open_case: Any
) -> None:
    # Their labels were English strings (or the field names) on a Japanese page.
    from hisho.accounts.models import User

    User.objects.filter(pk=demo.people["admin"].pk).update(language="ja")
    client = web_as("admin")
    listing = client.get("/staff/legal/").content.decode()
    for english in ("Requesting authority", "Person (customer id)", "Period start", "Deadline"):
        assert english not in listing, english
    assert "要請した機関" in listing and "期間の開始日" in listing
    case = open_case(["errands"], by="admin2")
    detail = client.get(f"/staff/legal/{case.pk}/").content.decode()
    for english in ("Tell the person on", "Why not now", ">Reason"):
        assert english not in detail, english
    assert "理由" in detail
