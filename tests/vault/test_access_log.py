"""Who saw my data: every staff unseal is logged for the owner, once per kind of read;
the owner's own reads are not; only customers have the page and the endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand, do_post_message
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand
from hisho.errors import NotFound
from hisho.vault.models import AccessAction, AccessLogEntry
from tests.principals import P

ASSIGNMENT_KINDS = (AccessAction.ASSIGNED, AccessAction.ACCEPTED, AccessAction.UNASSIGNED)


def log_of(demo: Demo) -> list[tuple[str, str, str, Any]]:
    """Alice's log of reads (who was given her errands is in it too: left out here)."""
    entries = AccessLogEntry.objects.filter(customer=demo.people["alice"])
    return [
        (e.actor_name, e.actor_role, e.action, e.errand_id)
        for e in entries.exclude(action__in=ASSIGNMENT_KINDS).order_by("id")
    ]


def test_staff_reads_are_logged_once_per_kind_owner_reads_not_at_all(demo: Demo) -> None:
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    errand = Errand.objects.get(pk=demo.alice_errand.pk)
    read_content(P(alice), errand)
    read_sealed(P(alice), errand)
    read_messages(P(alice), errand)
    assert log_of(demo) == []
    read_sealed(P(kenji), errand)
    assert len(read_messages(P(kenji), errand)) == 2  # two messages, one entry
    read_content(P(kenji), errand)
    assert log_of(demo) == [
        ("Kenji", "assistant", AccessAction.READ_SEALED, errand.pk),
        ("Kenji", "assistant", AccessAction.READ_MESSAGES, errand.pk),
        ("Kenji", "assistant", AccessAction.READ_ERRAND, errand.pk),
    ]
    # A catch-up poll that finds no new message unseals nothing and logs nothing.
    last = read_messages(P(kenji), errand)[-1].id
    before = len(log_of(demo))
    assert read_messages(P(kenji), errand, after=last) == []
    assert len(log_of(demo)) == before


def test_posting_logs_nothing_and_decrypts_nothing(demo: Demo, api_as: Any) -> None:
    response = api_as("kenji").post(
        f"/errands/{demo.alice_errand.pk}/messages", {"body": "Booked for 19:00!"}
    )
    assert response.status_code == 201 and response.json()["body"] == "Booked for 19:00!"
    assert log_of(demo) == []
    message = do_post_message(actor=demo.people["kenji"], errand=demo.alice_errand, body="Done.")
    assert message.posted_body == "Done." and b"Done." not in bytes(message.sealed_body)


def test_reassignment_revokes_at_once_and_the_new_assignee_is_logged(demo: Demo) -> None:
    kenji, yuki, admin = demo.people["kenji"], demo.people["yuki"], demo.people["admin"]
    stale = Errand.objects.get(pk=demo.alice_errand.pk)  # a copy that still says "kenji"
    assert read_sealed(P(kenji), stale).phone == "090-1234-5678"
    do_assign_errand(actor=admin, errand=stale, assistant_id=yuki.pk)
    assert stale.assignee_id == kenji.pk  # the caller's copy is out of date…
    for read in (read_content, read_sealed, read_messages):
        with pytest.raises(NotFound):  # …but the vault asks the database: kenji is out
            read(P(kenji), stale)
        with pytest.raises(NotFound):
            read(kenji, Errand.objects.get(pk=stale.pk))  # type: ignore[operator]
    current = Errand.objects.get(pk=stale.pk)
    assert read_sealed(P(yuki), current).phone == "090-1234-5678"
    assert log_of(demo)[-1] == ("Yuki", "assistant", AccessAction.READ_SEALED, current.pk)


def test_api_access_log(demo: Demo, api_as: Any) -> None:
    errand_id = demo.alice_errand.pk
    given = api_as("alice").get("/me/access-log").json()
    # Kenji was given the errand in the demo: that is the first line of her log.
    assert [(e["actor_name"], e["action"]) for e in given] == [("Kenji", "assigned")]
    api_as("kenji").get(f"/errands/{errand_id}/sealed")
    api_as("kenji").get(f"/errands/{errand_id}/messages")
    api_as("alice").get(f"/errands/{errand_id}/sealed")  # her own read: not listed
    entries = api_as("alice").get("/me/access-log").json()
    assert [(e["actor_name"], e["actor_role"], e["action"]) for e in entries] == [
        ("Kenji", "assistant", "read_messages"),  # newest first
        ("Kenji", "assistant", "read_sealed"),
        ("Kenji", "assistant", "assigned"),
    ]
    assert {e["errand_id"] for e in entries} == {str(errand_id)} and entries[0]["at"]
    assert api_as("alice").get("/me/access-log", limit=1).json() == entries[:1]
    assert api_as("alice").get("/me/access-log", limit=0).status_code == 422
    bobs = api_as("bob").get("/me/access-log").json()  # bob's own log: nothing of alice's
    assert [(e["actor_name"], e["action"]) for e in bobs] == [("Yuki", "assigned")]
    for handle in ("kenji", "yuki", "admin", "partner"):
        response = api_as(handle).get("/me/access-log")
        assert response.status_code == 403, handle
        assert "Only customers" in response.json()["detail"]
    assert api_as("anonymous").get("/me/access-log").status_code == 401


def test_who_saw_my_data_page(demo: Demo, web_as: Any) -> None:
    assert "Who saw my data" in web_as("alice").get("/me/").content.decode()
    assert "Who saw my data" not in web_as("kenji").get("/me/").content.decode()
    before = web_as("alice").get("/me/access-log/").content.decode()
    assert before.count("Kenji") == 1 and "Was given your errand" in before
    assert web_as("kenji").get(f"/errands/{demo.alice_errand.pk}/").status_code == 200
    page = web_as("alice").get("/me/access-log/").content.decode()
    # The errand page opened title, sealed fields and chat: one line that says all three
    # (after the line that says he was given the errand).
    assert page.count("Kenji") == 2
    for action in (AccessAction.READ_ERRAND, AccessAction.READ_SEALED, AccessAction.READ_MESSAGES):
        assert action.label.replace("'", "&#x27;") in page
    assert "Kenji" not in web_as("bob").get("/me/access-log/").content.decode()
    for handle in ("kenji", "admin", "partner"):
        assert web_as(handle).get("/me/access-log/").status_code == 403
    anonymous = web_as("anonymous").get("/me/access-log/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
