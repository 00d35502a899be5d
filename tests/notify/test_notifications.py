"""E-mail notifications (issue 17, docs/notifications.md), delivered for real to an
aiosmtpd server on loopback and parsed: a reply, an assignment and a status change reach
a participant with no socket open for the errand — a link and the kind of event, never
what anyone wrote — at most once per errand per five minutes, and never when the person
turned e-mail off or has the errand open."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand, do_change_status, do_post_message
from hisho.notify import presence
from hisho.notify.models import EmailNotice
from tests.conftest import sign_in
from tests.desk.test_live import chat_path, connected, db, run, socket
from tests.outreach.conftest import Mailbox, text_of

PUBLIC = "https://hisho.example"
SECRET_REPLY = "Table booked at Sakura Tei under your surname"


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.HISHO_PUBLIC_URL = PUBLIC
    presence.reset()


@pytest.fixture
def inbox(demo: Demo, smtp: Mailbox, run_worker: Any) -> Mailbox:
    """The mailbox, once what loading the demo queued has been sent and forgotten (with
    its throttle)."""
    run_worker()
    smtp.clear()
    EmailNotice.objects.all().delete()
    return smtp


def _kenji_replies(demo: Demo, capture: Any, body: str = SECRET_REPLY) -> None:
    with capture(execute=True):
        do_post_message(actor=demo.people["kenji"], errand=demo.alice_errand, body=body)


@pytest.mark.django_db
def test_a_reply_emails_the_other_party_a_link_and_no_content(
    demo: Demo, inbox: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    _kenji_replies(demo, django_capture_on_commit_callbacks)
    run_worker()
    [mail] = inbox.to(alice.email)
    assert inbox.to(kenji.email) == []  # not told about his own message
    text = text_of(mail)
    link = f"{PUBLIC}/errands/{demo.alice_errand.pk}/"
    assert link in text
    assert mail["Subject"] == "Hisho: a new message on your errand"
    raw = mail.as_string()
    for secret in ("Sakura", "Table booked", "Book a table", "Shibuya", "Kenji", "Alice"):
        assert secret not in raw
    assert f"{PUBLIC}/me/" in text  # where to turn it off


@pytest.mark.django_db
def test_at_most_one_email_per_errand_per_five_minutes(
    demo: Demo, inbox: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice = demo.people["alice"]
    for n in range(3):
        _kenji_replies(demo, django_capture_on_commit_callbacks, f"update {n}")
    run_worker()
    assert len(inbox.to(alice.email)) == 1
    # Five minutes later the next reply is e-mailed again.
    EmailNotice.objects.filter(user=alice).update(
        sent_at=EmailNotice.objects.get(user=alice).sent_at - dt.timedelta(minutes=5, seconds=1)
    )
    _kenji_replies(demo, django_capture_on_commit_callbacks, "one more")
    run_worker()
    assert len(inbox.to(alice.email)) == 2


def _notice_jobs() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path="hisho.notify.tasks.send_errand_notice").count()


@pytest.mark.django_db
def test_a_lively_chat_queues_one_notice_job_per_five_minutes_not_one_per_message(
    demo: Demo, inbox: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Once alice was e-mailed about the errand, kenji's next replies within the five
    minutes queue no job at all (each would be a worker's claim and reads to send
    nothing); the first reply after them does."""
    alice = demo.people["alice"]
    jobs = _notice_jobs()
    _kenji_replies(demo, django_capture_on_commit_callbacks, "first")
    assert _notice_jobs() == jobs + 1
    run_worker()
    assert len(inbox.to(alice.email)) == 1
    for n in range(5):
        _kenji_replies(demo, django_capture_on_commit_callbacks, f"update {n}")
    assert _notice_jobs() == jobs + 1
    EmailNotice.objects.filter(user=alice).update(
        sent_at=EmailNotice.objects.get(user=alice).sent_at - dt.timedelta(minutes=5, seconds=1)
    )
    _kenji_replies(demo, django_capture_on_commit_callbacks, "after the five minutes")
    assert _notice_jobs() == jobs + 2
    run_worker()
    assert len(inbox.to(alice.email)) == 2


@pytest.mark.django_db
def test_preference_off_sends_nothing(
    demo: Demo,
    api_as: Any,
    inbox: Mailbox,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice = demo.people["alice"]
    client = api_as("alice")
    assert client.get("/me/notifications").json() == {"email": True, "push": True}
    put = client.put("/me/notifications", {"email": False, "push": True})
    assert put.status_code == 200 and put.json() == {"email": False, "push": True}
    assert client.get("/me/notifications").json() == {"email": False, "push": True}
    _kenji_replies(demo, django_capture_on_commit_callbacks)
    run_worker()
    assert inbox.to(alice.email) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"email": "yes", "push": True},
        {"email": True},
        {"email": True, "push": False, "sms": True},
        [],
        None,
    ],
)
def test_bad_preferences_are_refused(demo: Demo, api_as: Any, body: Any) -> None:
    client = api_as("alice")
    response = client.client.put(
        "/api/v1/me/notifications",
        json.dumps(body),
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith("application/problem+json")
    assert client.get("/me/notifications").json() == {"email": True, "push": True}


@pytest.mark.django_db
def test_signed_out_gets_no_preferences() -> None:
    assert Client().get("/api/v1/me/notifications").status_code in (401, 404)


@pytest.mark.django_db
def test_the_profile_checkbox_turns_email_off(demo: Demo, web_as: Any) -> None:
    client = web_as("alice")
    page = client.get("/me/").content.decode()
    assert 'name="email" checked' in page
    client.post("/me/notifications/", {"push": "on"})
    assert 'name="email" checked' not in client.get("/me/").content.decode()
    assert api_prefs(demo) == (False, True)


def api_prefs(demo: Demo) -> tuple[bool, bool]:
    from hisho.notify.models import NotificationPrefs

    prefs = NotificationPrefs.objects.get(user=demo.people["alice"])
    return prefs.email, prefs.push


@pytest.mark.django_db
def test_assignment_and_status_change(
    demo: Demo, inbox: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Reassigned to yuki: yuki is told (alice gets the existing "an assistant has your
    errand" notice); yuki starts working: alice is told — but not twice in 5 minutes."""
    alice, yuki = demo.people["alice"], demo.people["yuki"]
    with django_capture_on_commit_callbacks(execute=True):
        do_assign_errand(actor=demo.people["admin"], errand=demo.alice_errand, assistant_id=yuki.pk)
    run_worker()
    [to_yuki] = inbox.to(yuki.email)
    assert to_yuki["Subject"] == "Hisho: an errand is yours to handle"
    assert f"{PUBLIC}/errands/{demo.alice_errand.pk}/" in text_of(to_yuki)
    inbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_change_status(actor=yuki, errand=demo.alice_errand, status="in_progress")
    run_worker()
    [to_alice] = inbox.to(alice.email)
    assert to_alice["Subject"] == "Hisho: your errand's status changed"
    assert inbox.to(yuki.email) == []


@pytest.mark.django_db
def test_in_the_recipients_language(
    demo: Demo, inbox: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice = demo.people["alice"]
    type(alice).objects.filter(pk=alice.pk).update(language="ja")
    _kenji_replies(demo, django_capture_on_commit_callbacks)
    run_worker()
    [mail] = inbox.to(alice.email)
    assert mail["Subject"].strip() == "Hisho：用件に新しいメッセージがあります"


@pytest.mark.parametrize("kept_in", ["memory", "redis"])
@pytest.mark.django_db(transaction=True)
def test_nobody_with_the_errand_open_is_emailed(
    demo: Demo,
    session_cookie: Any,
    inbox: Mailbox,
    run_worker: Any,
    kept_in: str,
    request: pytest.FixtureRequest,
) -> None:
    """Alice has the errand's page open (a real socket through the consumer): kenji's
    reply reaches her live, not by e-mail; once she closes it, the next reply is
    e-mailed. Presence kept in this process's memory (embedded) and in Redis (scaled)."""
    if kept_in == "redis":
        request.getfixturevalue("redis_presence")
    alice = demo.people["alice"]
    errand = demo.alice_errand
    cookie = session_cookie("alice")
    sign_in("kenji")

    async def scenario() -> None:
        page = await connected(socket(chat_path(errand), cookie=cookie))
        await db(do_post_message, actor=demo.people["kenji"], errand=errand, body="first")
        await db(run_worker)
        assert inbox.to(alice.email) == []
        await page.disconnect()
        await db(do_post_message, actor=demo.people["kenji"], errand=errand, body="second")
        await db(run_worker)
        assert len(inbox.to(alice.email)) == 1

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_page_left_open_after_signing_out_does_not_swallow_the_reply_email(
    demo: Demo, session_cookie: Any, inbox: Mailbox, run_worker: Any
) -> None:
    """Alice's errand page stays open in a tab after her session ended (she signed out
    elsewhere, or it expired). Kenji's reply cannot be shown there — the socket closes
    4401 — and she used to get no e-mail about it either: the open socket counted as
    having the page open. Now the reply is e-mailed once the socket is gone."""
    from django.contrib.sessions.models import Session

    alice = demo.people["alice"]
    errand = demo.alice_errand
    cookie = session_cookie("alice")
    sign_in("kenji")

    async def scenario() -> None:
        page = await connected(socket(chat_path(errand), cookie=cookie))
        await db(Session.objects.filter(session_key=cookie).delete)  # signed out
        await db(do_post_message, actor=demo.people["kenji"], errand=errand, body="Booked.")
        output = await page.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": 4401}
        await db(run_worker)
        assert len(inbox.to(alice.email)) == 1

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_the_notice_is_queued_with_the_change_or_not_at_all(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notice's job is written in the action's own transaction: a message whose
    notice cannot be queued is not stored either (no change goes untold), and a change
    that rolls back leaves no job behind (nobody hears of what did not happen)."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from hisho.desk.models import Message
    from hisho.notify import tasks

    kenji, errand = demo.people["kenji"], demo.alice_errand
    messages, jobs = Message.objects.count(), DBTaskResult.objects.count()

    class Refusing:
        def enqueue(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the job queue refused the row")

    with monkeypatch.context() as patched:
        patched.setattr(tasks, "send_errand_notice", Refusing())
        with pytest.raises(RuntimeError):
            do_post_message(actor=kenji, errand=errand, body="Booked for Friday.")
    assert Message.objects.count() == messages
    assert DBTaskResult.objects.count() == jobs

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        do_post_message(actor=kenji, errand=errand, body="Booked for Friday.")
        assert DBTaskResult.objects.count() == jobs + 1  # queued inside the transaction
        raise Undo
    assert (Message.objects.count(), DBTaskResult.objects.count()) == (messages, jobs)

    do_post_message(actor=kenji, errand=errand, body="Booked for Friday.")
    assert (Message.objects.count(), DBTaskResult.objects.count()) == (messages + 1, jobs + 1)


@pytest.mark.django_db
def test_no_email_to_an_assignee_who_is_no_longer_an_assistant(demo: Demo, inbox: Mailbox) -> None:
    """Kenji, demoted to customer, stays the assignee of a done errand (the record of who
    handled it) but may no longer see it: no notice tells him of its news — a notice
    queued before the demotion included, which runs after it."""
    from hisho.accounts.actions import do_set_role
    from hisho.desk.models import Errand, Status
    from hisho.notify.tasks import send_errand_notice

    kenji, errand = demo.people["kenji"], demo.alice_errand
    Errand.objects.filter(pk=errand.pk).update(status=Status.DONE)
    do_set_role(actor=demo.people["admin"], user=kenji, role="customer")
    assert Errand.objects.get(pk=errand.pk).assignee_id == kenji.pk
    assert send_errand_notice.call(kenji.pk, str(errand.pk), "reply") is False
    assert inbox.to(kenji.email) == []
