"""Connection data (POLICY K3): recorded per request with the route pattern (never the
path), IPs shortened after 7 days and records deleted after 90, by an idempotent job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.privacy.actions.retention import do_enforce_connection_retention, truncate_ip
from hisho.privacy.models import ConnectionRecord
from hisho.privacy.tasks import enforce_retention, ensure_retention_scheduled

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)  # the frozen clock


def record(days_ago: float, ip: str | None) -> ConnectionRecord:
    return ConnectionRecord.objects.create(
        at=NOW - dt.timedelta(days=days_ago), ip=ip, route="errands/", method="GET", status=200
    )


def test_requests_are_recorded_by_route_pattern_not_path(web_as: Any, demo: Demo) -> None:
    web_as("alice").get(f"/errands/{demo.alice_errand.pk}/", REMOTE_ADDR="203.0.113.9")
    row = ConnectionRecord.objects.order_by("-id").first()
    assert row is not None
    assert row.route == "errands/<str:errand_id>/"
    assert str(demo.alice_errand.pk) not in row.route
    assert (row.ip, row.user_id, row.status, row.method) == (
        "203.0.113.9",
        demo.people["alice"].pk,
        200,
        "GET",
    )
    web_as("anonymous").get("/no/such/page/", HTTP_USER_AGENT="x" * 1000)
    unresolved = ConnectionRecord.objects.order_by("-id").first()
    assert unresolved is not None and unresolved.route == "" and unresolved.user_id is None
    assert len(unresolved.user_agent) == 256


def test_api_requests_name_their_person(api_as: Any, demo: Demo) -> None:
    api_as("bob").get("/errands")
    row = ConnectionRecord.objects.filter(route="api/v1/errands").order_by("-id").first()
    assert row is not None and row.user_id == demo.people["bob"].pk


def test_truncation_after_7_days_and_deletion_after_90_with_a_frozen_clock() -> None:
    fresh = record(6.9, "198.51.100.77")
    week = record(7.1, "198.51.100.77")
    v6 = record(30, "2001:db8:1234:5678::1")
    mapped = record(8, "::ffff:192.0.2.55")
    no_ip = record(8, None)
    old = record(90.1, "192.0.2.1")
    report = do_enforce_connection_retention(now=NOW)
    assert (report.truncated, report.deleted) == (4, 1)
    rows = {r.pk: r for r in ConnectionRecord.objects.all()}
    assert old.pk not in rows
    assert (rows[fresh.pk].ip, rows[fresh.pk].ip_truncated) == ("198.51.100.77", False)
    assert (rows[week.pk].ip, rows[week.pk].ip_truncated) == ("198.51.100.0", True)
    assert rows[v6.pk].ip == "2001:db8:1234::"
    assert rows[mapped.pk].ip == "192.0.2.0"
    assert rows[no_ip.pk].ip_truncated is True

    # Idempotent: the same clock again changes nothing.
    again = do_enforce_connection_retention(now=NOW)
    assert (again.truncated, again.deleted) == (0, 0)
    # A day later the fresh one is due.
    later = do_enforce_connection_retention(now=NOW + dt.timedelta(days=1))
    assert later.truncated == 1
    assert ConnectionRecord.objects.get(pk=fresh.pk).ip == "198.51.100.0"


def test_both_periods_are_configuration(settings: Any) -> None:
    settings.HISHO_CONNECTION_TRUNCATE_DAYS = 1
    settings.HISHO_CONNECTION_DELETE_DAYS = 30
    kept = record(0.5, "192.0.2.10")
    shortened = record(2, "192.0.2.11")
    gone = record(31, "192.0.2.12")
    report = do_enforce_connection_retention(now=NOW)
    assert (report.truncated, report.deleted) == (1, 1)
    assert ConnectionRecord.objects.get(pk=kept.pk).ip == "192.0.2.10"
    assert ConnectionRecord.objects.get(pk=shortened.pk).ip == "192.0.2.0"
    assert not ConnectionRecord.objects.filter(pk=gone.pk).exists()


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.200", "203.0.113.0"),
        ("2001:db8:abcd:12::7", "2001:db8:abcd::"),
        ("::ffff:203.0.113.9", "203.0.113.0"),
    ],
)
def test_truncate_ip(ip: str, network: str) -> None:
    assert truncate_ip(ip) == network


def test_the_daily_job_runs_in_the_worker_and_queues_the_next(run_worker: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    old = ConnectionRecord.objects.create(
        at=timezone.now() - dt.timedelta(days=100),
        ip="192.0.2.1",
        route="",
        method="GET",
        status=200,
    )
    assert ensure_retention_scheduled(now=timezone.now() - dt.timedelta(days=2)) is True
    assert ensure_retention_scheduled() is False  # one pending run at a time
    run_worker()
    assert not ConnectionRecord.objects.filter(pk=old.pk).exists()
    done = DBTaskResult.objects.get(task_path=enforce_retention.module_path, status="SUCCESSFUL")
    assert done.return_value == {
        "truncated": 0,
        "deleted": 1,
        "retry_records": 0,
        "payments": 0,
        "orphaned_files": 0,
        "ended_sessions": 0,
    }
    pending = DBTaskResult.objects.filter(task_path=enforce_retention.module_path, status="READY")
    assert pending.count() == 1
    assert pending[0].run_after > timezone.now() + dt.timedelta(hours=23)


def test_the_command_applies_retention_or_queues_the_job(capsys: Any) -> None:
    from django.core.management import call_command

    record(100, "192.0.2.1")
    call_command("privacy-retention")
    assert "deleted 1 records" in capsys.readouterr().out
    call_command("privacy-retention", "--schedule")
    assert "Retention job queued." in capsys.readouterr().out
    call_command("privacy-retention", "--schedule")
    assert "Nothing queued" in capsys.readouterr().out


def test_a_signed_out_or_expired_sessions_address_goes_with_the_daily_run(demo: Demo) -> None:
    """retention.session: a session's IP address and browser are kept "until you sign out
    or the session expires" — not until the person's next sign-in, which may never come."""
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from django.test import Client

    def login(user_agent: str) -> str:
        response = Client(HTTP_USER_AGENT=user_agent).post(
            "/_allauth/app/v1/auth/login",
            {"email": "bob@example.com", "password": "hisho-demo-2026"},
            content_type="application/json",
        )
        assert response.status_code == 200
        token: str = response.json()["meta"]["session_token"]
        return token

    signed_out, expired, live = login("Gone/1"), login("Expired/1"), login("Live/1")
    Client().delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=signed_out)
    Session.objects.filter(session_key=expired).update(
        expire_date=timezone.now() - dt.timedelta(minutes=1)
    )
    bob = UserSession.objects.filter(user=demo.people["bob"])
    assert bob.count() == 3  # before: both ended sessions' devices are still there

    assert enforce_retention.call()["ended_sessions"] == 2
    assert list(bob.values_list("session_key", "user_agent")) == [(live, "Live/1")]
    assert not Session.objects.filter(session_key=expired).exists()
    assert enforce_retention.call()["ended_sessions"] == 0
    # The purge is on the record like every retention step: a count, nobody named.
    purges = AuditEvent.objects.filter(event="account.ended_sessions_purged")
    assert [(p.actor_id, p.target_id, p.extra) for p in purges] == [(None, "", {"count": 2})]
