"""The person is told: at once, or when a documented deferral expires — and only then do
the disclosure's reads appear in their access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.errors import Conflict, InvalidInput
from hisho.legal.actions import do_approve_case, do_defer_notice, do_export_case
from hisho.legal.models import DisclosureCase
from hisho.legal.notices import send_due_notices
from hisho.privacy.models import Disclosure
from tests.principals import P

REASON = "Court order 2026-77: the person may not be told before the hearing."


def disclosure_entries(api_as: Any) -> list[dict[str, Any]]:
    response = api_as("alice").get("/me/access-log")
    assert response.status_code == 200
    return [e for e in response.json() if e["actor_role"] == "admin"]


def test_notice_goes_out_at_once_without_deferral(
    demo: Demo, open_case: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case(["errands", "messages"])
    do_approve_case(actor=demo.people["admin2"], case=case)
    assert mail.outbox == []  # approval alone discloses nothing
    with django_capture_on_commit_callbacks(execute=True):
        do_export_case(principal=P(demo.people["admin"]), case=case)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [demo.people["alice"].email]
    assert "TKY-2026-0042" in message.body and "errands, messages" in message.body
    case.refresh_from_db()
    assert case.notified_at is not None
    entries = disclosure_entries(api_as)
    # Her first errand (content, sealed fields), the second (content only: nothing sealed),
    # the chat of the first.
    assert len(entries) == 4
    assert {e["action"] for e in entries} == {"read_errand", "read_sealed", "read_messages"}
    assert all(e["actor_name"] == "Admin" for e in entries)
    event = AuditEvent.objects.filter(event="legal.notice_sent").get()
    assert event.extra["delivered"] is True and event.extra["was_deferred"] is False
    # The disclosure is on her record of what left Hisho (POLICY K5), by kind of data.
    recorded = Disclosure.objects.get(subject=demo.people["alice"], recipient="authorities")
    assert recorded.purpose == "legal_obligations" and recorded.reference == f"legal_case:{case.pk}"
    case.refresh_from_db()
    assert recorded.data == case.disclosed_kinds and "errand_content" in recorded.data
    assert send_due_notices() == 0  # never twice


def test_deferral_expiry_sends_the_notice(
    demo: Demo, open_case: Any, api_as: Any, web_as: Any
) -> None:
    now = timezone.now()
    case = open_case(["errands"])
    do_defer_notice(
        actor=demo.people["admin"], case=case, until=now + dt.timedelta(days=10), reason=REASON
    )
    do_approve_case(actor=demo.people["admin2"], case=case)
    do_export_case(principal=P(demo.people["admin"]), case=case)

    # While deferred: no mail, and the reads are withheld from alice's access log and her
    # record of disclosures.
    assert send_due_notices(now=now) == 0
    assert send_due_notices(now=now + dt.timedelta(days=9, hours=23)) == 0
    call_command("legal-send-due-notices")
    assert mail.outbox == []
    assert disclosure_entries(api_as) == []
    assert not Disclosure.objects.filter(recipient="authorities").exists()
    page = web_as("alice").get("/me/access-log/")
    assert page.status_code == 200 and "(Admin)" not in page.content.decode()

    # The deferral expires: the notice goes out by itself, and the reads appear.
    assert send_due_notices(now=now + dt.timedelta(days=10, seconds=1)) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [demo.people["alice"].email]
    case.refresh_from_db()
    assert case.notified_at == now + dt.timedelta(days=10, seconds=1)
    assert len(disclosure_entries(api_as)) == 3  # two errands' content, one's sealed fields
    assert Disclosure.objects.filter(recipient="authorities").count() == 1
    assert "(Admin)" in web_as("alice").get("/me/access-log/").content.decode()
    event = AuditEvent.objects.filter(event="legal.notice_sent").get()
    assert event.extra["was_deferred"] is True and event.actor_id is None
    assert send_due_notices(now=now + dt.timedelta(days=11)) == 0


def test_deferrals_are_documented_and_bounded(demo: Demo, open_case: Any) -> None:
    case = open_case()
    admin = demo.people["admin"]
    now = timezone.now()
    with pytest.raises(InvalidInput):
        do_defer_notice(actor=admin, case=case, until=now + dt.timedelta(days=5), reason="")
    with pytest.raises(InvalidInput):
        do_defer_notice(actor=admin, case=case, until=now - dt.timedelta(days=1), reason=REASON)
    with pytest.raises(InvalidInput):
        do_defer_notice(actor=admin, case=case, until=now + dt.timedelta(days=181), reason=REASON)
    do_defer_notice(actor=admin, case=case, until=now + dt.timedelta(days=5), reason=REASON)
    case.refresh_from_db()
    assert case.deferral_reason == REASON and case.deferred_by == admin


def test_deferrals_cannot_be_renewed_past_the_bound(demo: Demo, open_case: Any) -> None:
    """The bound counts from the case's opening: renewed just before each expiry, a
    deferral measured from "now" would keep the person from ever being told."""
    case = open_case()
    admin = demo.people["admin"]
    now = timezone.now()
    do_defer_notice(actor=admin, case=case, until=now + dt.timedelta(days=179), reason=REASON)
    # 175 days later the deferral is about to expire, and the same admin defers again.
    DisclosureCase.objects.filter(pk=case.pk).update(
        opened_at=F("opened_at") - dt.timedelta(days=175),
        notify_after=F("notify_after") - dt.timedelta(days=175),
    )
    case.refresh_from_db()
    with pytest.raises(InvalidInput):
        do_defer_notice(actor=admin, case=case, until=now + dt.timedelta(days=30), reason=REASON)
    case.refresh_from_db()
    assert case.notify_after == now + dt.timedelta(days=4)
    # Within the bound it can still be moved.
    do_defer_notice(actor=admin, case=case, until=now + dt.timedelta(days=3), reason=REASON)


def test_no_deferral_once_the_person_was_told(
    demo: Demo, open_case: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case(["profile"])
    do_approve_case(actor=demo.people["admin2"], case=case)
    with django_capture_on_commit_callbacks(execute=True):
        do_export_case(principal=P(demo.people["admin"]), case=case)
    with pytest.raises(Conflict):
        do_defer_notice(
            actor=demo.people["admin"],
            case=case,
            until=timezone.now() + dt.timedelta(days=5),
            reason=REASON,
        )


def test_one_access_log_everywhere(demo: Demo, open_case: Any, api_as: Any, web_as: Any) -> None:
    """The page, the API, My data and the export show the same entries: a deferred
    disclosure's reads are hidden from all four, and appear in all four once notice is
    given. (My data and the export used to read the table directly and showed them.)"""

    def everywhere() -> dict[str, int]:
        export = api_as("alice").get("/me/export").json()["payload"]
        page = web_as("alice").get("/me/access-log/").content.decode()
        my_data = web_as("alice").get("/me/data/").content.decode()
        return {
            "api": len(disclosure_entries(api_as)),
            "export": sum(e["actor_role"] == "admin" for e in export["access_log"]),
            "page": page.count("(Admin)"),
            "my data": my_data.count("(Admin)"),
        }

    now = timezone.now()
    case = open_case(["errands"])
    do_defer_notice(
        actor=demo.people["admin"], case=case, until=now + dt.timedelta(days=10), reason=REASON
    )
    do_approve_case(actor=demo.people["admin2"], case=case)
    do_export_case(principal=P(demo.people["admin"]), case=case)
    assert everywhere() == {"api": 0, "export": 0, "page": 0, "my data": 0}
    send_due_notices(now=now + dt.timedelta(days=10, seconds=1))
    assert everywhere() == {"api": 3, "export": 3, "page": 3, "my data": 3}
