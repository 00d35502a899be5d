"""Admins keep their lists: a label renamed shows its new name on every errand carrying it,
a label deleted leaves every errand; canned replies are rewritten under the same checks as
new ones, or deleted. Nobody but an admin can do any of it (API and the staff page)."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.models import CannedReply, ErrandLabel, Label
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"


@pytest.fixture
def labelled(demo: Demo, api_as: Any) -> int:
    created = api_as("admin").post("/labels", {"name_en": "Urgent", "name_ja": "至急"})
    assert created.status_code == 201, created.content
    label_id: int = created.json()["id"]
    set_ = api_as("kenji").put(f"/errands/{demo.alice_errand.pk}/labels", {"label_ids": [label_id]})
    assert set_.status_code == 200, set_.content
    return label_id


@pytest.fixture
def reply(api_as: Any) -> int:
    created = api_as("admin").post(
        "/canned-replies",
        {"title": "Hello", "body_en": "Hello {customer_name}", "body_ja": "{customer_name}様"},
    )
    assert created.status_code == 201, created.content
    reply_id: int = created.json()["id"]
    return reply_id


def test_an_admin_renames_and_deletes_a_label(demo: Demo, api_as: Any, labelled: int) -> None:
    for role in ["alice", "kenji", "partner"]:
        assert (
            api_as(role).put(f"/labels/{labelled}", {"name_en": "X", "name_ja": "X"}).status_code
            == 403
        )
        assert api_as(role).delete(f"/labels/{labelled}").status_code == 403
    renamed = api_as("admin").put(
        f"/labels/{labelled}", {"name_en": f"Call back {CARD}", "name_ja": "折り返し"}
    )
    assert renamed.status_code == 200, renamed.content
    assert CARD not in renamed.json()["name_en"]  # DLP, as on creation
    errand = api_as("kenji").get(f"/errands/{demo.alice_errand.pk}").json()
    assert [label["id"] for label in errand["labels"]] == [labelled]
    assert errand["labels"][0]["name"].startswith("Call back")
    assert (
        api_as("admin").put("/labels/999999", {"name_en": "X", "name_ja": "X"}).status_code == 404
    )
    assert (
        api_as("admin").put(f"/labels/{labelled}", {"name_en": "", "name_ja": "X"}).status_code
        == 422
    )
    assert api_as("admin").delete(f"/labels/{labelled}").status_code == 204
    assert not Label.objects.exists() and not ErrandLabel.objects.exists()
    assert api_as("kenji").get(f"/errands/{demo.alice_errand.pk}").json()["labels"] == []
    assert api_as("admin").delete(f"/labels/{labelled}").status_code == 404


def test_an_admin_rewrites_and_deletes_a_canned_reply(api_as: Any, reply: int) -> None:
    good = {
        "title": "Hi",
        "body_en": "Hi {customer_name}",
        "body_ja": "{customer_name}様、こんにちは",
    }
    for role in ["alice", "kenji", "partner"]:
        assert api_as(role).put(f"/canned-replies/{reply}", good).status_code == 403
        assert api_as(role).delete(f"/canned-replies/{reply}").status_code == 403
    bad = api_as("admin").put(
        f"/canned-replies/{reply}", {**good, "body_en": "{customer.__class__}"}
    )
    assert bad.status_code == 422
    assert CannedReply.objects.get(pk=reply).title == "Hello"  # nothing changed
    changed = api_as("admin").put(f"/canned-replies/{reply}", good)
    assert changed.status_code == 200 and changed.json()["title"] == "Hi"
    assert api_as("admin").delete(f"/canned-replies/{reply}").status_code == 204
    assert not CannedReply.objects.exists()
    assert api_as("admin").delete(f"/canned-replies/{reply}").status_code == 404


def test_the_staff_page_renames_and_deletes(web_as: Any, labelled: int, reply: int) -> None:
    page = web_as("admin").get("/staff/desk/").content.decode()
    assert f'data-label="{labelled}"' in page and f'data-canned="{reply}"' in page
    kenji = web_as("kenji").post("/staff/desk/", {"kind": "label_delete", "id": labelled})
    assert kenji.status_code == 403 and Label.objects.exists()
    admin = web_as("admin")
    saved = admin.post(
        "/staff/desk/",
        {"kind": "label_save", "id": labelled, "name_en": "Later", "name_ja": "後で"},
    )
    assert saved.status_code == 302
    assert Label.objects.get(pk=labelled).name_ja == "後で"
    rewritten = admin.post(
        "/staff/desk/",
        {
            "kind": "canned_save",
            "id": reply,
            "title": "Thanks",
            "body_en": "Thank you, {customer_name}",
            "body_ja": "{customer_name}様、ありがとうございます",
        },
    )
    assert rewritten.status_code == 302 and CannedReply.objects.get(pk=reply).title == "Thanks"
    assert admin.post("/staff/desk/", {"kind": "label_delete", "id": 999999}).status_code == 404
    assert admin.post("/staff/desk/", {"kind": "label_delete", "id": labelled}).status_code == 302
    assert admin.post("/staff/desk/", {"kind": "canned_delete", "id": reply}).status_code == 302
    assert not Label.objects.exists() and not CannedReply.objects.exists()


# The authorization matrix's rows for the admin's list endpoints (tests/desk/test_matrix.py
# covers the rest; these need a label's or a canned reply's id, not an errand's).
MANAGE_CASES = {
    "rename label": ("put", "/labels/{label}", {"name_en": "X", "name_ja": "X"}, 200),
    "delete label": ("delete", "/labels/{label}", None, 204),
    "rewrite canned reply": (
        "put",
        "/canned-replies/{reply}",
        {"title": "Hi", "body_en": "Hi {customer_name}", "body_ja": "{customer_name}様"},
        200,
    ),
    "delete canned reply": ("delete", "/canned-replies/{reply}", None, 204),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(MANAGE_CASES))
def test_manage_matrix(case: str, role: str, api_as: Any, labelled: int, reply: int) -> None:
    method, path, body, admin_status = MANAGE_CASES[case]
    url = path.format(label=labelled, reply=reply)
    client = api_as(role)
    response = getattr(client, method)(url, body) if body else getattr(client, method)(url)
    expected = {"anonymous": 401, "admin": admin_status}.get(role, 403)
    assert response.status_code == expected, response.content
    still_there = Label.objects.filter(pk=labelled).exists() and (
        CannedReply.objects.filter(pk=reply).exists()
    )
    assert still_there == (role != "admin" or method != "delete")
