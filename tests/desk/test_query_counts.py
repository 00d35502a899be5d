"""Lists cost the same number of queries whatever their length (issue: one assistant's
list page of 21 errands wrote 21 access-log rows and 21 audit events in 223 queries).
Each list endpoint and page is read with few rows and with many; the queries must not grow,
and stay under a fixed bound."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand, do_create_errand, do_post_message
from hisho.search.actions import sealed_keys
from hisho.vault.keys import store
from hisho.vault.models import AccessLogEntry

BOUND = 40


def add_errands(demo: Demo, count: int) -> None:
    alice, kenji, admin = demo.people["alice"], demo.people["kenji"], demo.people["admin"]
    for n in range(count):
        errand = do_create_errand(
            actor=alice,
            title=f"Errand {n}",
            details="d",
            triage_note=f"note {n}",
            category="travel",
        )
        if n % 2 == 0:
            errand = do_assign_errand(actor=admin, errand=errand, assistant_id=kenji.pk)
            do_post_message(actor=alice, errand=errand, body=f"hello {n}")


def queries(read: Callable[[], Any]) -> int:
    store().cache.clear()  # a cold key cache: the worst case
    with CaptureQueriesContext(connection) as captured:
        response = read()
    assert response.status_code == 200, response.content[:300]
    return len(captured)


LISTS = [
    ("api", "alice", "/errands"),
    ("api", "kenji", "/errands"),
    ("api", "admin", "/errands"),
    ("api", "alice", "/me/access-log"),
    ("api", "admin", "/people"),
    ("api", "admin", "/people/role-grants"),
    ("api", "admin", "/legal/cases"),
    ("web", "alice", "/errands/"),
    ("web", "kenji", "/errands/"),
    ("web", "admin", "/errands/"),
    ("web", "yuki", "/queue/"),
    ("web", "alice", "/me/access-log/"),
    ("web", "admin", "/staff/people/"),
    ("web", "admin", "/staff/legal/"),
]


@pytest.mark.parametrize(("kind", "handle", "path"), LISTS)
def test_list_queries_do_not_grow_with_rows(
    demo: Demo, api_as: Any, web_as: Any, kind: str, handle: str, path: str
) -> None:
    client = api_as(handle) if kind == "api" else web_as(handle)
    client.get(path)  # warm what is per-process (sessions, the policy file)
    add_errands(demo, 2)
    few = queries(lambda: client.get(path))
    add_errands(demo, 12)
    many = queries(lambda: client.get(path))
    assert many <= few and many <= BOUND, f"{few} queries with few rows, {many} with many"


def test_a_staff_list_reads_no_content_and_logs_nothing(demo: Demo, api_as: Any) -> None:
    kenji = api_as("kenji")  # signed in (an audited event) before counting
    add_errands(demo, 12)
    entries, events = AccessLogEntry.objects.count(), AuditEvent.objects.count()
    assert kenji.get("/errands").status_code == 200
    assert AccessLogEntry.objects.count() == entries
    assert AuditEvent.objects.count() == events


def test_an_errand_page_logs_once(demo: Demo, web_as: Any, api_as: Any) -> None:
    """The page opens the text, the sealed details and the chat: one access-log entry and
    one audit event for the whole request."""
    entries, events = AccessLogEntry.objects.count(), AuditEvent.objects.count()
    assert web_as("kenji").get(f"/errands/{demo.alice_errand.pk}/").status_code == 200
    assert AccessLogEntry.objects.count() == entries + 1
    new_events = AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - events]
    assert [e.event for e in new_events].count("vault.staff_unsealed") == 1
    entry = AccessLogEntry.objects.order_by("-id").first()
    assert entry is not None
    assert entry.kind_list == ["read_errand", "read_sealed", "read_messages"]


# Issue 18: lists with labels, the label filter, the notes and the admins' averages.
LABELLED_LISTS = [
    ("api", "kenji", "/errands"),
    ("api", "kenji", "/errands?label={label}"),
    ("api", "alice", "/errands"),
    ("api", "kenji", "/errands/{errand}/notes"),
    ("api", "admin", "/ratings/averages"),
    ("web", "kenji", "/errands/?label={label}"),
    ("web", "alice", "/errands/"),
    ("web", "admin", "/staff/desk/"),
]


def add_labelled_work(demo: Demo, label_id: int, count: int) -> None:
    from hisho.desk.actions import do_change_status
    from hisho.desk.tools.actions import do_add_internal_note, do_rate_errand, do_set_errand_labels

    alice, kenji, admin = demo.people["alice"], demo.people["kenji"], demo.people["admin"]
    for n in range(count):
        errand = do_create_errand(actor=alice, title=f"Labelled {n}")
        errand = do_assign_errand(actor=admin, errand=errand, assistant_id=kenji.pk)
        do_set_errand_labels(actor=kenji, errand=errand, label_ids=[label_id])
        do_add_internal_note(actor=kenji, errand=demo.alice_errand, body=f"note {n}")
        errand = do_change_status(actor=kenji, errand=errand, status="in_progress")
        errand = do_change_status(actor=kenji, errand=errand, status="done")
        do_rate_errand(actor=alice, errand=errand, stars=4)


@pytest.mark.parametrize(("kind", "handle", "path"), LABELLED_LISTS)
def test_labelled_lists_do_not_grow_with_rows(
    demo: Demo, api_as: Any, web_as: Any, kind: str, handle: str, path: str
) -> None:
    from hisho.desk.tools.actions import do_create_label

    label = do_create_label(actor=demo.people["admin"], name_en="Urgent", name_ja="至急")
    path = path.format(label=label.pk, errand=demo.alice_errand.pk)
    client = api_as(handle) if kind == "api" else web_as(handle)
    client.get(path)
    add_labelled_work(demo, label.pk, 5)  # averages show from 5 ratings up
    few = queries(lambda: client.get(path))
    add_labelled_work(demo, label.pk, 12)
    many = queries(lambda: client.get(path))
    assert many <= few and many <= BOUND, f"{few} queries with few rows, {many} with many"


def test_a_message_post_costs_nineteen_queries_cold_and_takes_no_lock(
    demo: Demo, api_as: Any
) -> None:
    """The API message post (issue 15's measured path), with a cold key cache (the worst
    case): sign-in (the app token's session: 1 query, not allauth's exists-then-load;
    the user: 1), the errand with its access check (1), then the action in one
    transaction — the errand's data key and the customer's key (2, cached afterwards),
    the message, the errand's `updated_at`, the
    private search's sealed errand key (kept per process once read) and the message's
    blind-index tokens (one INSERT, no
    savepoint of its own), the audit subject's pseudonym, the audit event, whether kenji
    was e-mailed about the errand in the last five minutes (1: had he been, no job would
    be queued) and his e-mail notice's job (queued in the same transaction: no second
    commit) and the
    check for push subscriptions (1) — the action's transaction is a savepoint here, the
    test's own transaction being outermost — and the connection record (1, in its own
    savepoint). No row lock, no read of the audit tree or its heads: appends never wait
    for each other, and the live fan-out does not touch the database in the request."""
    from hisho.desk.models import Errand

    errand = Errand.objects.filter(customer=demo.people["alice"]).exclude(assignee=None).first()
    assert errand is not None
    client = api_as("alice")
    assert client.post(f"/errands/{errand.pk}/messages", {"body": "first " * 170}).status_code == (
        201
    )
    events = AuditEvent.objects.count()
    store().cache.clear()
    sealed_keys.clear()  # the errand's sealed search key, kept once read (one query less)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/errands/{errand.pk}/messages", {"body": "again " * 170})
    assert response.status_code == 201, response.content[:300]
    statements = [q["sql"] for q in captured.captured_queries]
    sessions = [s for s in statements if "django_session" in s]
    assert len(sessions) == 1 and sessions[0].startswith('SELECT "django_session"')
    assert AuditEvent.objects.count() == events + 1
    assert not [s for s in statements if "FOR UPDATE" in s or "pg_advisory" in s]
    assert not [s for s in statements if "audittreenode" in s or "audittreehead" in s]
    written = re.compile(r'^(?:INSERT (?:OR IGNORE )?INTO|UPDATE) "(\w+)"')
    writes = [m[1] for s in statements if (m := written.match(s))]
    assert writes == [
        "desk_message",
        "desk_errand",
        "search_searchtoken",  # the blind index of the message's words (one statement)
        "audit_auditevent",
        "django_tasks_database_dbtaskresult",  # kenji's e-mail notice, with the message
        "privacy_connectionrecord",
    ]
    assert not [s for s in statements if s.startswith("SAVEPOINT")][1:-1], (
        "one savepoint for the action and one for the connection record, none in between"
    )
    vault = [s for s in statements if '"vault_' in s]
    assert len(vault) == 2 and "vault_datakey" in vault[0] and "vault_customerkey" in vault[1]
    # PostgreSQL adds one: the connection record's `SET LOCAL synchronous_commit TO OFF`.
    expected = 19 + (connection.vendor == "postgresql")
    assert len(statements) == expected, "\n".join(s[:120] for s in statements)
