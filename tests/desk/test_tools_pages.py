"""The pages of the assistant tools and of the customer's confirm/reopen/rating (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.actions import do_change_status
from hisho.desk.models import ErrandLabel, InternalNote, Rating
from hisho.desk.tools.actions import do_create_canned_reply, do_create_label

OUTSIDERS = ["bob", "yuki", "admin", "partner"]


def done(demo: Demo) -> Any:
    kenji = demo.people["kenji"]
    errand = do_change_status(actor=kenji, errand=demo.alice_errand, status="in_progress")
    return do_change_status(actor=kenji, errand=errand, status="done")


def test_the_assignee_keeps_notes_the_customer_never_sees(demo: Demo, web_as: Any) -> None:
    url = f"/errands/{demo.alice_errand.pk}/"
    kenji = web_as("kenji")
    assert kenji.post(url + "notes/", {"note-body": "Gate code WXV81"}).status_code == 302
    assert "WXV81" in kenji.get(url).content.decode()
    for role in ["alice", *OUTSIDERS]:
        client = web_as(role)
        client.raise_request_exception = False
        assert "WXV81" not in client.get(url).content.decode()
        assert client.post(url + "notes/", {"note-body": "x"}).status_code in (403, 404)
    assert InternalNote.objects.count() == 1


def test_the_customer_confirms_rates_and_reopens_on_the_page(demo: Demo, web_as: Any) -> None:
    errand = done(demo)
    url = f"/errands/{errand.pk}/"
    alice = web_as("alice")
    page = alice.get(url).content.decode()
    assert "Confirm it is done" in page and "Rate this errand" in page
    assert alice.post(url + "rating/", {"stars": "4", "comment": "Kind"}).status_code == 302
    assert Rating.objects.get(errand=errand).stars == 4
    assert "Kind" in alice.get(url).content.decode()
    assert "Kind" not in web_as("kenji").get(url).content.decode()
    assert alice.post(url + "reopen/").status_code == 302
    errand.refresh_from_db()
    assert errand.status == "in_progress"


@pytest.mark.parametrize("stars", ["0", "6", "x", ""])
def test_a_bad_rating_on_the_page_stores_nothing(stars: str, demo: Demo, web_as: Any) -> None:
    errand = done(demo)
    web_as("alice").post(f"/errands/{errand.pk}/rating/", {"stars": stars})
    assert not Rating.objects.exists()


def test_labels_and_canned_replies_on_the_page(demo: Demo, web_as: Any) -> None:
    admin = demo.people["admin"]
    label = do_create_label(actor=admin, name_en="Urgent", name_ja="至急")
    reply = do_create_canned_reply(
        actor=admin, title="Hi", body_en="Hello {customer_name}!", body_ja="{customer_name}様"
    )
    kenji = web_as("kenji")
    url = f"/errands/{demo.alice_errand.pk}/"
    assert kenji.post(url + "labels/", {"label": [str(label.pk)]}).status_code == 302
    assert ErrandLabel.objects.filter(errand=demo.alice_errand, label=label).exists()
    listed = kenji.get(f"/errands/?label={label.pk}").content.decode()
    assert "Urgent" in listed and url in listed
    page = kenji.get(url + f"?canned={reply.pk}").content.decode()
    assert "Hello Alice!</textarea>" in page
    # The customer sees the labels on their errand, and cannot set them.
    assert "Urgent" in web_as("alice").get(url).content.decode()
    assert web_as("alice").post(url + "labels/", {"label": []}).status_code == 404
    assert ErrandLabel.objects.count() == 1


def test_admins_manage_labels_and_replies_and_see_averages(demo: Demo, web_as: Any) -> None:
    admin = web_as("admin")
    assert admin.post("/staff/desk/", {"kind": "label", "name_en": "VIP", "name_ja": "重要"})
    bad = {"kind": "canned", "title": "T", "body_en": "{nope}", "body_ja": "x"}
    assert "Unknown placeholder" in admin.post("/staff/desk/", bad).content.decode()
    page = admin.get("/staff/desk/").content.decode()
    assert "VIP" in page and 'data-testid="no-averages"' in page
    for role in ["alice", "kenji", "partner"]:
        assert web_as(role).get("/staff/desk/").status_code == 403


def test_claiming_on_the_page(demo: Demo, web_as: Any, settings: Any) -> None:
    url = f"/errands/{demo.alice_new_errand.pk}/"
    yuki = web_as("yuki")
    assert "Take this errand" not in yuki.get(url).content.decode()
    settings.HISHO_ASSISTANTS_MAY_CLAIM = True
    assert "Take this errand" in yuki.get(url).content.decode()
    assert yuki.post(url + "claim/").status_code == 302
    demo.alice_new_errand.refresh_from_db()
    assert demo.alice_new_errand.assignee == demo.people["yuki"]
    assert yuki.post(url + "hand-back/").status_code == 302
    demo.alice_new_errand.refresh_from_db()
    assert demo.alice_new_errand.assignee is None
