"""The customer sees and controls who handles an errand (POLICY K7): every assignment
change is on the errand page and in "Who saw my data" and is e-mailed; the customer can ask
for a different assistant (who loses it at once), and can choose to accept each new
assistant before they read anything."""

from __future__ import annotations

from typing import Any

from django.core import mail

from hisho.accounts.actions import do_update_profile
from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand, do_create_errand


def test_an_assignment_is_shown_logged_and_e_mailed(
    demo: Demo, api_as: Any, web_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    errand = demo.alice_new_errand
    with django_capture_on_commit_callbacks(execute=True):
        api_as("admin").post(
            f"/errands/{errand.pk}/assign", {"assistant_id": demo.people["yuki"].pk}
        )
    [message] = [m for m in mail.outbox if m.to == [demo.people["alice"].email]]
    assert "Yuki" in message.body and str(errand.pk) in message.body
    assert "landlord" not in message.body  # nothing the customer wrote
    log = api_as("alice").get("/me/access-log").json()
    assert (log[0]["actor_name"], log[0]["action"], log[0]["errand_id"]) == (
        "Yuki",
        "assigned",
        str(errand.pk),
    )
    page = web_as("alice").get(f"/errands/{errand.pk}/").content.decode()
    assert "Yuki handles it" in page and "Was given your errand" in page


def test_asking_for_a_different_assistant_takes_the_errand_away_at_once(
    demo: Demo, api_as: Any
) -> None:
    errand_id = demo.alice_errand.pk
    assert api_as("kenji").get(f"/errands/{errand_id}/sealed").status_code == 200
    response = api_as("alice").post(f"/errands/{errand_id}/unassign")
    assert response.status_code == 200
    assert response.json()["status"] == "new" and response.json()["assignee"] is None
    assert api_as("kenji").get(f"/errands/{errand_id}/sealed").status_code == 404
    assert api_as("kenji").get(f"/errands/{errand_id}/messages").status_code == 404
    log = api_as("alice").get("/me/access-log").json()
    assert (log[0]["actor_name"], log[0]["action"]) == ("Kenji", "unassigned")
    # Nobody else may do it for her; nothing to do twice.
    for handle in ("bob", "yuki", "kenji", "admin", "partner"):
        assert api_as(handle).post(f"/errands/{errand_id}/unassign").status_code in (403, 404)
    assert api_as("alice").post(f"/errands/{errand_id}/unassign").status_code == 409
    assert api_as("anonymous").post(f"/errands/{errand_id}/unassign").status_code == 401


def test_a_customer_who_approves_assistants_first(
    demo: Demo, api_as: Any, web_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice = demo.people["alice"]
    assert api_as("alice").patch("/me", {"approve_assignees": True}).json()["approve_assignees"]
    alice.refresh_from_db()
    errand = do_create_errand(
        actor=alice, title="Dentist in Shibuya", details="A filling", category="health"
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_assign_errand(
            actor=demo.people["admin"], errand=errand, assistant_id=demo.people["kenji"].pk
        )
    assert any("accept" in m.body for m in mail.outbox if m.to == [alice.email])
    # Kenji has it, but sees only the triage card until alice accepts.
    seen = api_as("kenji").get(f"/errands/{errand.pk}").json()
    assert seen["view"] == "triage" and "title" not in seen
    assert api_as("kenji").get(f"/errands/{errand.pk}/sealed").status_code == 404
    assert api_as("kenji").post(f"/errands/{errand.pk}/messages", {"body": "hi"}).status_code == 404
    assert "Dentist" not in web_as("kenji").get(f"/errands/{errand.pk}/").content.decode()
    # Only alice accepts.
    for handle in ("kenji", "bob", "admin"):
        assert api_as(handle).post(f"/errands/{errand.pk}/accept-assignee").status_code in (
            403,
            404,
        )
    accepted = api_as("alice").post(f"/errands/{errand.pk}/accept-assignee")
    assert accepted.status_code == 200
    assert api_as("kenji").get(f"/errands/{errand.pk}").json()["title"] == "Dentist in Shibuya"
    assert api_as("alice").post(f"/errands/{errand.pk}/accept-assignee").status_code == 409
    log = api_as("alice").get("/me/access-log").json()
    assert [e["action"] for e in log[:3]] == ["read_errand", "accepted", "assigned"]


def test_the_setting_is_on_the_profile_page(demo: Demo, web_as: Any) -> None:
    page = web_as("alice").get("/me/").content.decode()
    assert 'name="approve_assignees"' in page
    do_update_profile(actor=demo.people["alice"], changes={"approve_assignees": True})
    assert "checked" in web_as("alice").get("/me/").content.decode()


def test_an_assistant_who_leaves_hands_their_open_errands_back_to_the_queue(
    demo: Demo, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Demoted by an admin (kenji) or deactivated (yuki), an assistant can no longer open
    the errands they held; those errands go back to the queue at once instead of staying
    theirs in triage while their customers wait. Each customer sees it and is e-mailed."""
    from hisho.accounts.actions import do_set_active, do_set_role
    from hisho.audit.models import AuditEvent
    from hisho.desk.models import Errand, Status

    admin = demo.people["admin"]
    alices, bobs = demo.alice_errand, Errand.objects.get(assignee=demo.people["yuki"])
    done = do_create_errand(actor=demo.people["alice"], title="Old", details="", category="")
    Errand.objects.filter(pk=done.pk).update(assignee=demo.people["kenji"], status=Status.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        do_set_role(actor=admin, user=demo.people["kenji"], role="customer")
        do_set_active(actor=admin, user=demo.people["yuki"], active=False)

    for errand, customer, name in ((alices, "alice", "Kenji"), (bobs, "bob", "Yuki")):
        errand.refresh_from_db()
        assert (errand.status, errand.assignee_id) == (Status.NEW, None)
        seen = api_as(customer).get(f"/errands/{errand.pk}").json()
        assert (seen["status"], seen["assignee"]) == ("new", None)
        log = api_as(customer).get("/me/access-log").json()
        assert (log[0]["actor_name"], log[0]["action"]) == (name, "unassigned")
        [notice] = [m for m in mail.outbox if m.to == [demo.people[customer].email]]
        assert f"{name} no longer handles errands" in notice.body
    assert (
        AuditEvent.objects.filter(event="errand.unassigned", extra__how="assistant_left").count()
        == 2
    )
    # A done errand keeps the record of who handled it.
    assert Errand.objects.get(pk=done.pk).assignee_id == demo.people["kenji"].pk
