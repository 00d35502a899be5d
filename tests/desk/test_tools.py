"""Assistant tools and customer feedback (issue 18): claiming and handing back, canned
replies, internal notes, labels, the customer's confirm/reopen and rating — each through
the API, each refused to whoever it is not for."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from hisho.accounts.actions import do_update_profile
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.actions import do_change_status, do_create_errand
from hisho.desk.models import ErrandLabel, InternalNote, Rating, Status
from hisho.desk.tools.actions import do_create_canned_reply, do_create_label, do_rate_errand
from hisho.vault.models import AccessLogEntry

OTHERS = ["bob", "yuki", "admin", "partner"]


def done(demo: Demo) -> Any:
    """alice's first errand, done by kenji."""
    kenji = demo.people["kenji"]
    errand = do_change_status(actor=kenji, errand=demo.alice_errand, status="in_progress")
    return do_change_status(actor=kenji, errand=errand, status="done")


# --- claiming and handing back -----------------------------------------------------------


def test_claiming_is_off_unless_the_operator_allows_it(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_new_errand
    response = api_as("yuki").post(f"/errands/{errand.pk}/claim")
    assert response.status_code == 403
    errand.refresh_from_db()
    assert errand.assignee_id is None and errand.status == Status.NEW


def test_an_assistant_claims_from_the_queue_and_the_customer_is_told(
    demo: Demo, api_as: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.HISHO_ASSISTANTS_MAY_CLAIM = True
    errand = demo.alice_new_errand
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("yuki").post(f"/errands/{errand.pk}/claim")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assignee"]["name"] == "Yuki" and body["status"] == "assigned"
    assert body["view"] == "full"
    [message] = [m for m in mail.outbox if m.to == [demo.people["alice"].email]]
    assert "Yuki" in message.body
    log = api_as("alice").get("/me/access-log").json()
    assert ("Yuki", "assigned") in [(e["actor_name"], e["action"]) for e in log]
    # Gone from the queue: nobody else can claim it now.
    assert api_as("kenji").post(f"/errands/{errand.pk}/claim").status_code == 404


@pytest.mark.parametrize("role", ["alice", "bob", "admin", "partner"])
def test_only_assistants_claim(role: str, demo: Demo, api_as: Any, settings: Any) -> None:
    settings.HISHO_ASSISTANTS_MAY_CLAIM = True
    response = api_as(role).post(f"/errands/{demo.alice_new_errand.pk}/claim")
    assert response.status_code == 403
    demo.alice_new_errand.refresh_from_db()
    assert demo.alice_new_errand.assignee_id is None


def test_an_assigned_errand_cannot_be_claimed(demo: Demo, api_as: Any, settings: Any) -> None:
    settings.HISHO_ASSISTANTS_MAY_CLAIM = True
    assert api_as("yuki").post(f"/errands/{demo.alice_errand.pk}/claim").status_code == 404
    demo.alice_errand.refresh_from_db()
    assert demo.alice_errand.assignee == demo.people["kenji"]


def test_a_claim_waits_for_a_customer_who_approves_assistants(
    demo: Demo, api_as: Any, settings: Any
) -> None:
    settings.HISHO_ASSISTANTS_MAY_CLAIM = True
    do_update_profile(actor=demo.people["alice"], changes={"approve_assignees": True})
    errand = demo.alice_new_errand
    claimed = api_as("yuki").post(f"/errands/{errand.pk}/claim").json()
    assert claimed["view"] == "triage" and "title" not in claimed
    assert api_as("yuki").get(f"/errands/{errand.pk}/messages").status_code == 404
    assert api_as("alice").post(f"/errands/{errand.pk}/accept-assignee").status_code == 200
    assert api_as("yuki").get(f"/errands/{errand.pk}/messages").status_code == 200


def test_handing_back_returns_the_errand_to_the_queue(
    demo: Demo, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    errand = demo.alice_errand
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("kenji").post(f"/errands/{errand.pk}/hand-back")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "new" and body["assignee"] is None and body["view"] == "triage"
    assert api_as("kenji").get(f"/errands/{errand.pk}/sealed").status_code == 404
    [message] = [m for m in mail.outbox if m.to == [demo.people["alice"].email]]
    assert "Kenji" in message.body and "handed your errand back" in message.body
    log = api_as("alice").get("/me/access-log").json()
    assert (log[0]["actor_name"], log[0]["action"]) == ("Kenji", "unassigned")


@pytest.mark.parametrize("role", ["alice", *OTHERS])
def test_only_the_assignee_hands_back(role: str, demo: Demo, api_as: Any) -> None:
    response = api_as(role).post(f"/errands/{demo.alice_errand.pk}/hand-back")
    assert response.status_code == 404
    demo.alice_errand.refresh_from_db()
    assert demo.alice_errand.assignee == demo.people["kenji"]


# --- confirm, reopen, rate ------------------------------------------------------------------


def test_the_customer_confirms_a_done_errand(demo: Demo, api_as: Any) -> None:
    errand = done(demo)
    assert api_as("kenji").post(f"/errands/{errand.pk}/confirm").status_code == 404
    response = api_as("alice").post(f"/errands/{errand.pk}/confirm")
    assert response.status_code == 200 and response.json()["confirmed_at"]
    assert api_as("alice").post(f"/errands/{errand.pk}/confirm").status_code == 409
    assert api_as("alice").post(f"/errands/{errand.pk}/reopen").status_code == 409


def test_an_open_errand_cannot_be_confirmed_or_reopened(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    assert api_as("alice").post(f"/errands/{errand.pk}/confirm").status_code == 409
    assert api_as("alice").post(f"/errands/{errand.pk}/reopen").status_code == 409


def test_reopening_goes_back_to_the_same_assistant(demo: Demo, api_as: Any) -> None:
    errand = done(demo)
    for role in ["kenji", *OTHERS]:
        assert api_as(role).post(f"/errands/{errand.pk}/reopen").status_code in (403, 404)
    body = api_as("alice").post(f"/errands/{errand.pk}/reopen").json()
    assert body["status"] == "in_progress" and body["assignee"]["name"] == "Kenji"


def test_reopening_goes_to_the_queue_when_the_assistant_is_gone(demo: Demo, api_as: Any) -> None:
    errand = done(demo)
    kenji = demo.people["kenji"]
    kenji.role = "customer"  # no longer an assistant
    kenji.save(update_fields=["role"])
    body = api_as("alice").post(f"/errands/{errand.pk}/reopen").json()
    assert body["status"] == "new" and body["assignee"] is None


def test_the_customer_rates_once_and_may_change_it(demo: Demo, api_as: Any) -> None:
    errand = done(demo)
    alice = api_as("alice")
    assert alice.get(f"/errands/{errand.pk}/rating").status_code == 404
    first = alice.put(f"/errands/{errand.pk}/rating", {"stars": 4, "comment": "Quick, thanks"})
    assert first.status_code == 200 and first.json()["stars"] == 4
    second = alice.put(f"/errands/{errand.pk}/rating", {"stars": 5})
    assert second.json() == alice.get(f"/errands/{errand.pk}/rating").json()
    assert second.json()["stars"] == 5 and second.json()["comment"] == ""
    assert Rating.objects.filter(errand=errand).count() == 1
    rating = Rating.objects.get(errand=errand)
    assert rating.assistant == demo.people["kenji"]


def test_a_rating_comment_is_sealed_and_for_the_customer_alone(demo: Demo, api_as: Any) -> None:
    errand = done(demo)
    api_as("alice").put(f"/errands/{errand.pk}/rating", {"stars": 2, "comment": "Slow QRT55"})
    stored = bytes(Rating.objects.get(errand=errand).sealed_comment or b"")
    assert b"QRT55" not in stored and stored
    for role in ["kenji", *OTHERS]:
        response = api_as(role).get(f"/errands/{errand.pk}/rating")
        assert response.status_code == 404, role
        assert "QRT55" not in response.content.decode()
    assert "QRT55" in api_as("alice").get(f"/errands/{errand.pk}/rating").content.decode()


@pytest.mark.parametrize(
    "body",
    [{"stars": 0}, {"stars": 6}, {"stars": "5"}, {"stars": 4.5}, {}, {"stars": 3, "extra": 1}],
)
def test_bad_ratings_are_refused(body: Any, demo: Demo, api_as: Any) -> None:
    errand = done(demo)
    response = api_as("alice").put(f"/errands/{errand.pk}/rating", body)
    assert 400 <= response.status_code < 500
    assert not Rating.objects.filter(errand=errand).exists()


def test_an_open_errand_cannot_be_rated(demo: Demo, api_as: Any) -> None:
    response = api_as("alice").put(f"/errands/{demo.alice_errand.pk}/rating", {"stars": 5})
    assert response.status_code == 409
    assert not Rating.objects.exists()


def _rated_errands(demo: Demo, count: int) -> None:
    alice, admin, kenji = demo.people["alice"], demo.people["admin"], demo.people["kenji"]
    from hisho.desk.actions import do_assign_errand

    for n in range(count):
        errand = do_create_errand(actor=alice, title=f"Errand {n}")
        errand = do_assign_errand(actor=admin, errand=errand, assistant_id=kenji.pk)
        errand = do_change_status(actor=kenji, errand=errand, status="in_progress")
        errand = do_change_status(actor=kenji, errand=errand, status="done")
        do_rate_errand(actor=alice, errand=errand, stars=3 + n % 3, comment="")


def test_averages_show_from_five_ratings_up(demo: Demo, api_as: Any) -> None:
    _rated_errands(demo, 4)
    assert api_as("admin").get("/ratings/averages").json() == []
    assert api_as("kenji").get("/me/rating-average").json()["average"] is None
    _rated_errands(demo, 1)
    [row] = api_as("admin").get("/ratings/averages").json()
    # 3, 4, 5, 3 and then 3 again.
    assert (row["name"], row["ratings"], row["average"]) == ("Kenji", 5, 3.6)
    assert api_as("kenji").get("/me/rating-average").json()["average"] == 3.6
    for role in ["alice", "bob", "kenji", "yuki", "partner"]:
        assert api_as(role).get("/ratings/averages").status_code == 403


def test_one_new_rating_cannot_be_read_off_the_averages(demo: Demo, api_as: Any) -> None:
    """Comparing (5, 3.8) with (6, 3.33) gave away that the sixth rating was one star,
    to admins and to the assistant (found by attacking as an insider). The average moves
    only when five new ratings are in; the audit log holds no stars."""
    _rated_errands(demo, 5)
    before = api_as("admin").get("/ratings/averages").json()
    mine = api_as("kenji").get("/me/rating-average").json()
    for n in range(1, 5):
        _rated_errands(demo, 1)
        assert api_as("admin").get("/ratings/averages").json() == before, n
        assert api_as("kenji").get("/me/rating-average").json() == mine, n
    _rated_errands(demo, 1)
    [row] = api_as("admin").get("/ratings/averages").json()
    assert row["ratings"] == 10
    for entry in AuditEvent.objects.filter(event__startswith="errand.rating"):
        assert "stars" not in entry.extra
    assert AuditEvent.objects.filter(event="errand.rated").count() == 10


def test_a_changed_rating_cannot_be_read_off_the_averages(demo: Demo, api_as: Any) -> None:
    """Before, the averages were computed live: a customer changing a 5 to a 1 moved them
    at once by exactly four stars over the count, at the time the audit log showed their
    `errand.rating_changed` — to admins and to the assistant. A change now counts like a
    new rating: the average is taken again once five have been given or changed."""
    from hisho.desk.models import Rating

    _rated_errands(demo, 5)  # 3, 4, 5, 3, 4
    before = api_as("admin").get("/ratings/averages").json()
    mine = api_as("kenji").get("/me/rating-average").json()
    assert [(r["ratings"], r["average"]) for r in before] == [(5, 3.8)]
    alice = demo.people["alice"]
    five = Rating.objects.get(stars=5).errand
    for n, stars in enumerate([1, 2, 1, 3], start=1):
        do_rate_errand(actor=alice, errand=five, stars=stars)
        assert api_as("admin").get("/ratings/averages").json() == before, n
        assert api_as("kenji").get("/me/rating-average").json() == mine, n
    _rated_errands(demo, 1)  # the fifth since: 3 stars more
    [row] = api_as("admin").get("/ratings/averages").json()
    assert (row["ratings"], row["average"]) == (6, round((3 + 4 + 3 + 3 + 4 + 3) / 6, 2))
    assert api_as("kenji").get("/me/rating-average").json()["average"] == row["average"]
    for entry in AuditEvent.objects.filter(event="errand.rating_changed"):
        assert "stars" not in entry.extra


def test_the_migration_starts_each_snapshot_where_the_shown_average_stood(demo: Demo) -> None:
    import importlib

    from django.apps import apps

    from hisho.desk.models import RatingAverage

    migration = importlib.import_module("hisho.desk.migrations.0006_rating_average")
    _rated_errands(demo, 7)  # 3, 4, 5, 3, 4, 5, 3: shown as (5, 3.8), two pending
    RatingAverage.objects.all().delete()  # the database as it was before the migration
    migration.take_first_snapshots(apps, None)
    average = RatingAverage.objects.get(assistant=demo.people["kenji"])
    assert (average.ratings, average.total_stars, average.pending) == (5, 19, 2)


# --- internal notes -----------------------------------------------------------------------


def test_notes_are_sealed_and_for_the_current_assignee_only(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    posted = api_as("kenji").post(f"/errands/{errand.pk}/notes", {"body": "Prefers ZKQ44 texts"})
    assert posted.status_code == 201, posted.content
    assert b"ZKQ44" not in bytes(InternalNote.objects.get(errand=errand).sealed_body)
    [note] = api_as("kenji").get(f"/errands/{errand.pk}/notes").json()
    assert note["body"] == "Prefers ZKQ44 texts" and note["author_name"] == "Kenji"
    for role in ["alice", *OTHERS]:
        for response in (
            api_as(role).get(f"/errands/{errand.pk}/notes"),
            api_as(role).post(f"/errands/{errand.pk}/notes", {"body": "mine"}),
        ):
            assert response.status_code in (403, 404), role
            assert "ZKQ44" not in response.content.decode()
    assert InternalNote.objects.filter(errand=errand).count() == 1


def test_a_previous_assignee_loses_the_notes(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    api_as("kenji").post(f"/errands/{errand.pk}/notes", {"body": "ZKQ44"})
    api_as("admin").post(f"/errands/{errand.pk}/assign", {"assistant_id": demo.people["yuki"].pk})
    assert api_as("kenji").get(f"/errands/{errand.pk}/notes").status_code == 404
    # The new assignee reads the errand's notes: they are the errand's, not the person's.
    assert api_as("yuki").get(f"/errands/{errand.pk}/notes").json()[0]["body"] == "ZKQ44"


def test_reading_notes_is_in_the_customers_access_log(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    api_as("kenji").post(f"/errands/{errand.pk}/notes", {"body": "Call after 6"})
    AccessLogEntry.objects.all().delete()
    api_as("kenji").get(f"/errands/{errand.pk}/notes")
    [entry] = api_as("alice").get("/me/access-log").json()
    assert (entry["actor_name"], entry["action"]) == ("Kenji", "read_notes")


def test_notes_are_in_the_customers_export_and_go_with_the_errand(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    api_as("kenji").post(f"/errands/{errand.pk}/notes", {"body": "Call after 6"})
    export = api_as("alice").get("/me/export").json()["payload"]
    [mine] = [e for e in export["errands"] if e["id"] == str(errand.pk)]
    assert [n["body"] for n in mine["internal_notes"]] == ["Call after 6"]
    assert api_as("alice").delete("/me").status_code == 200
    assert not InternalNote.objects.exists()


def test_shredding_leaves_notes_and_rating_comments_unreadable(demo: Demo, api_as: Any) -> None:
    from hisho.desk.tools.sealed import read_notes, read_rating
    from hisho.vault.actions import do_shred_customer_key
    from hisho.vault.keys import store
    from tests.principals import P

    alice = demo.people["alice"]
    api_as("kenji").post(f"/errands/{demo.alice_errand.pk}/notes", {"body": "Call after 6"})
    errand = done(demo)
    api_as("alice").put(f"/errands/{errand.pk}/rating", {"stars": 5, "comment": "Lovely"})
    assert read_notes(P(alice), errand)[0].body == "Call after 6"
    do_shred_customer_key(actor=alice, customer=alice)
    store().cache.clear()
    [note] = read_notes(P(alice), errand)
    rating = read_rating(P(alice), errand)
    assert not note.intact and note.body != "Call after 6"
    assert rating is not None and not rating.intact and rating.comment != "Lovely"


def test_a_note_needs_text(demo: Demo, api_as: Any) -> None:
    for body in [{"body": ""}, {"body": "x" * 4001}, {}, {"body": "a\x00b"}]:
        response = api_as("kenji").post(f"/errands/{demo.alice_errand.pk}/notes", body)
        assert 400 <= response.status_code < 500, body
    assert not InternalNote.objects.exists()


# --- labels ---------------------------------------------------------------------------------


def test_labels_admins_define_and_assistants_set(demo: Demo, api_as: Any) -> None:
    created = api_as("admin").post("/labels", {"name_en": "Urgent", "name_ja": "至急"})
    assert created.status_code == 201, created.content
    label_id = created.json()["id"]
    for role in ["alice", "kenji", "partner"]:
        assert api_as(role).post("/labels", {"name_en": "X", "name_ja": "X"}).status_code == 403
    errand = demo.alice_errand
    body = api_as("kenji").put(f"/errands/{errand.pk}/labels", {"label_ids": [label_id]})
    assert body.status_code == 200 and body.json()["labels"][0]["name"] == "Urgent"
    for role in ["alice", *OTHERS]:
        response = api_as(role).put(f"/errands/{errand.pk}/labels", {"label_ids": []})
        assert response.status_code in (403, 404), role
    assert ErrandLabel.objects.filter(errand=errand).count() == 1
    listed = api_as("kenji").get("/errands", label=label_id).json()["items"]
    assert [item["id"] for item in listed] == [str(errand.pk)]
    assert listed[0]["labels"] == [{"id": label_id, "name": "Urgent"}]
    assert api_as("yuki").get("/errands", label=label_id).json()["items"] == []


def test_only_known_labels_are_set(demo: Demo, api_as: Any) -> None:
    url = f"/errands/{demo.alice_errand.pk}/labels"
    for body in [{"label_ids": [999_999]}, {"label_ids": ["Urgent"]}, {"labels": "x"}]:
        assert 400 <= api_as("kenji").put(url, body).status_code < 500
    assert not ErrandLabel.objects.exists()


# --- canned replies -------------------------------------------------------------------------


def test_canned_replies_fill_in_the_customers_language(demo: Demo, api_as: Any) -> None:
    created = api_as("admin").post(
        "/canned-replies",
        {
            "title": "Hello",
            "body_en": "Hi {customer_name}, {assistant_name} here about {errand_ref}.",
            "body_ja": "{customer_name}様、担当の{assistant_name}です。",
        },
    )
    assert created.status_code == 201, created.content
    [filled] = api_as("kenji").get(f"/errands/{demo.alice_errand.pk}/canned-replies").json()
    ref = str(demo.alice_errand.pk)[:8].upper()
    assert filled["text"] == f"Hi Alice, Kenji here about {ref}."
    do_update_profile(actor=demo.people["alice"], changes={"language": "ja"})
    [filled] = api_as("kenji").get(f"/errands/{demo.alice_errand.pk}/canned-replies").json()
    assert filled["text"] == "Alice様、担当のKenjiです。"
    for role in ["alice", *OTHERS]:
        response = api_as(role).get(f"/errands/{demo.alice_errand.pk}/canned-replies")
        assert response.status_code in (403, 404)


@pytest.mark.parametrize(
    "template",
    [
        "{unknown}",
        "{customer_name.__class__}",
        "{customer_name[0]}",
        "{customer_name!r}",
        "{customer_name:>99999}",
        "{0}",
        "{}",
        "{customer_name",
        "}",
    ],
)
def test_canned_replies_take_only_known_placeholders(
    template: str, demo: Demo, api_as: Any
) -> None:
    response = api_as("admin").post(
        "/canned-replies", {"title": "T", "body_en": template, "body_ja": "ok"}
    )
    assert 400 <= response.status_code < 500, response.content
    assert api_as("admin").get("/canned-replies").json() == []


def test_canned_replies_are_for_admins_to_write(demo: Demo, api_as: Any) -> None:
    body = {"title": "T", "body_en": "Hi", "body_ja": "やあ"}
    for role in ["alice", "kenji", "partner"]:
        assert api_as(role).post("/canned-replies", body).status_code == 403
        assert api_as(role).get("/canned-replies").status_code == 403


def test_admin_text_passes_dlp(demo: Demo) -> None:
    admin = demo.people["admin"]
    card = "4111 1111 1111 1111"
    label = do_create_label(actor=admin, name_en=f"c {card}"[:40], name_ja="ラベル")
    reply = do_create_canned_reply(actor=admin, title=card, body_en=card, body_ja=card)
    for value in (label.name_en, reply.title, reply.body_en, reply.body_ja):
        assert "4111111111111111" not in value.replace(" ", "") and "1111" in value


# --- POLICY K9: card numbers through every new input path -----------------------------------


def test_card_numbers_never_survive_the_tools(demo: Demo, api_as: Any) -> None:
    from hisho.desk.tools.sealed import read_notes, read_rating
    from tests.desk.test_card_numbers import CORPUS, assert_no_card, dump_database, fit
    from tests.principals import P

    errand = done(demo)
    kenji, alice, admin = api_as("kenji"), api_as("alice"), api_as("admin")
    responses: list[str] = []
    other = do_create_errand(actor=demo.people["alice"], title="Another")
    other = demo.alice_errand.__class__.objects.get(pk=other.pk)
    from hisho.desk.actions import do_assign_errand

    other = do_assign_errand(
        actor=demo.people["admin"], errand=other, assistant_id=demo.people["kenji"].pk
    )
    for text in CORPUS:
        steps = [
            kenji.post(f"/errands/{other.pk}/notes", {"body": text}),
            alice.put(f"/errands/{errand.pk}/rating", {"stars": 3, "comment": fit(text, 1000)}),
            admin.post("/labels", {"name_en": fit(text, 40), "name_ja": fit(text, 40)}),
            admin.post(
                "/canned-replies",
                {"title": fit(text, 80), "body_en": text, "body_ja": text},
            ),
        ]
        for response in steps:
            assert response.status_code in (200, 201), response.content
            responses.append(response.content.decode())
    notes = [n.body for n in read_notes(P(demo.people["kenji"]), other, limit=10_000)]
    rating = read_rating(P(demo.people["alice"]), errand)
    assert len(notes) == len(CORPUS) and rating is not None
    assert any("••••1111" in n for n in notes), "masks keep the last four digits"
    assert_no_card([*notes, rating.comment], "unsealed notes and comment")
    assert_no_card(responses, "responses")
    assert_no_card(dump_database(), "the database")
