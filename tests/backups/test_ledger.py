"""The erasure ledger: every erasure writes a chained line outside the database, marks it
applied in the database and in the audit log (ids and hashes only); `hisho check` refuses
a ledger that is ahead of, damaged, or behind the database; `apply-erasures` catches up."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from hisho.accounts.models import User
from hisho.audit.models import AuditEvent, AuditSubject
from hisho.backups import ledger
from hisho.backups.actions.replay import apply_erasures, pending_entries
from hisho.backups.checks import ledger_problems
from hisho.backups.models import AppliedErasure
from hisho.demo import Demo
from hisho.desk.models import Errand
from hisho.privacy.actions.erasure import do_erase_account
from hisho.vault.models import CustomerKey

pytestmark = pytest.mark.django_db


def problem_ids() -> list[str]:
    return [problem.id or "" for problem in ledger_problems()]


def test_an_erasure_is_written_to_the_ledger_and_marked_in_the_database(demo: Demo) -> None:
    alice = demo.people["alice"]
    alice_id = alice.pk
    pseudonym = AuditSubject.objects.get(user_id=alice_id).ref
    do_erase_account(actor=alice)

    [entry] = ledger.read()
    assert (entry.seq, entry.person_id, entry.pseudonym) == (1, alice_id, pseudonym)
    assert entry.prev == ledger.GENESIS
    assert AppliedErasure.objects.get(seq=1).entry_hash == entry.hash
    event = AuditEvent.objects.get(event="backups.erasure_ledgered")
    assert event.extra == {"ledger_seq": 1, "ledger_hash": entry.hash}
    assert event.actor_id is None
    assert problem_ids() == []


def test_entries_chain(demo: Demo) -> None:
    do_erase_account(actor=demo.people["alice"])
    do_erase_account(actor=demo.people["bob"])
    first, second = ledger.read()
    assert second.seq == 2
    assert second.prev == first.hash


def _append_for(user: User) -> ledger.Entry:
    ref = AuditSubject.objects.get(user_id=user.pk).ref
    return ledger.append(person_id=user.pk, pseudonym=ref, at=timezone.now())


def test_check_refuses_while_the_ledger_is_ahead_and_apply_erasures_catches_up(
    demo: Demo,
) -> None:
    """What a restored older backup looks like: the ledger holds an erasure (bob's) the
    database has not applied."""
    bob = demo.people["bob"]
    _append_for(bob)
    assert problem_ids() == ["backups.E001"]

    report = apply_erasures()

    assert report.erased == [1]
    assert not User.objects.filter(pk=bob.pk).exists()
    assert not Errand.objects.filter(customer_id=bob.pk).exists()
    assert not CustomerKey.objects.filter(customer_id=bob.pk, wrapped__isnull=False).exists()
    assert AppliedErasure.objects.get(seq=1).reapplied is True
    assert AuditEvent.objects.filter(event="backups.erasure_reapplied").count() == 1
    # Re-applying writes no new ledger line; the database now agrees with the ledger.
    assert len(ledger.read()) == 1
    assert problem_ids() == []
    assert pending_entries() == []


def test_an_account_made_after_the_backup_is_only_marked(demo: Demo) -> None:
    ledger.append(person_id=987654, pseudonym="x" * 64, at=timezone.now())
    report = apply_erasures()
    assert report.absent == [1]
    assert problem_ids() == []


def test_another_person_with_the_same_account_number_is_not_erased(demo: Demo) -> None:
    """After a restore, account numbers can be handed out again: the audit pseudonym
    tells whom the entry meant."""
    bob = demo.people["bob"]
    ledger.append(person_id=bob.pk, pseudonym="0" * 64, at=timezone.now())
    report = apply_erasures()
    assert report.absent == [1]
    assert User.objects.filter(pk=bob.pk).exists()


def test_the_apply_erasures_command(demo: Demo) -> None:
    _append_for(demo.people["bob"])
    call_command("apply-erasures", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert problem_ids() == []


def test_a_ledger_that_cannot_be_read_is_one_clear_error(demo: Demo, settings: Any) -> None:
    """A folder (or an unreadable file) where the ledger should be: every reader and the
    writer say so as a LedgerError naming the file, and `hisho check` reports it."""
    settings.HISHO_ERASURE_LEDGER_FILE.mkdir()
    where = str(settings.HISHO_ERASURE_LEDGER_FILE)
    with pytest.raises(ledger.LedgerError, match="cannot be read") as unreadable:
        ledger.read()
    assert where in str(unreadable.value)
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("apply-erasures", stdout=io.StringIO())
    with pytest.raises(ledger.LedgerError, match="cannot be written") as unwritable:
        _append_for(demo.people["bob"])
    assert where in str(unwritable.value)
    [problem] = ledger_problems()
    assert problem.id == "backups.E002"
    assert f"The erasure ledger {where} cannot be read" in problem.msg


def _rewrite(path: Path, change: dict[str, object]) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    data = json.loads(lines[0])
    data.update(change)
    lines[0] = json.dumps(data).encode() + b"\n"
    path.write_bytes(b"".join(lines))


def test_an_edited_line_is_caught(demo: Demo) -> None:
    do_erase_account(actor=demo.people["alice"])
    _rewrite(ledger.path(), {"person_id": 999})
    assert problem_ids() == ["backups.E002"]
    with pytest.raises(ledger.LedgerError, match="line 1 was changed"):
        ledger.read()


def test_a_rewritten_and_rehashed_line_is_caught_by_the_database(demo: Demo) -> None:
    do_erase_account(actor=demo.people["alice"])
    [entry] = ledger.read()
    body = {**entry.body(), "person_id": 999}
    _rewrite(ledger.path(), {"person_id": 999, "hash": ledger.entry_hash(body)})
    assert problem_ids() == ["backups.E002"]


def test_a_dropped_line_breaks_the_chain(demo: Demo) -> None:
    do_erase_account(actor=demo.people["alice"])
    do_erase_account(actor=demo.people["bob"])
    lines = ledger.path().read_bytes().splitlines(keepends=True)
    ledger.path().write_bytes(lines[1])
    assert problem_ids() == ["backups.E002"]


def test_a_truncated_ledger_is_behind_the_database(demo: Demo) -> None:
    do_erase_account(actor=demo.people["alice"])
    ledger.path().write_bytes(b"")
    assert problem_ids() == ["backups.E003"]


def test_a_line_cut_short_by_a_crash_is_not_an_entry_and_is_replaced(demo: Demo) -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first = ledger.append(person_id=1, pseudonym="a" * 64, at=at)
    with ledger.path().open("ab") as handle:
        handle.write(b'{"at": "2026-01-0')
    assert ledger.read() == [first]
    second = ledger.append(person_id=2, pseudonym="b" * 64, at=at)
    assert ledger.read() == [first, second]


def test_no_request_is_served_while_the_ledger_is_ahead(demo: Demo) -> None:
    """However the server was started (a bare uvicorn runs no `hisho check`), nothing is
    served — bob's restored data least of all — until the erasures are re-applied."""

    from hisho.backups.middleware import ErasureLedgerGuardMiddleware

    bob = demo.people["bob"]
    _append_for(bob)
    guard = ErasureLedgerGuardMiddleware(lambda request: HttpResponse("served"))
    refused = guard(RequestFactory().get("/api/v1/me"))
    assert refused.status_code == 503 and refused["Content-Type"] == "application/problem+json"
    apply_erasures()
    assert guard(RequestFactory().get("/api/v1/me")).content == b"served"
