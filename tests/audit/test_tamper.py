"""Tampering done directly in the database: the verifier names the exact entry."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from hisho.audit import chain
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditCheckpoint, AuditEvent
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from tests.audit.conftest import trigger_off


def entry_at(seq: int) -> AuditEvent:
    return AuditEvent.objects.get(seq=seq)


def first_bad() -> tuple[int | None, int | None, str]:
    report = verify_log()
    assert not report.ok
    problem = report.first_bad
    assert problem is not None
    return problem.seq, problem.entry_id, problem.reason


def test_modified_content_is_named(demo: Demo, raw_sql: Any) -> None:
    assert verify_log().ok
    victim = entry_at(5)
    extra = {**victim.extra, "forged": 1}
    raw_sql("UPDATE audit_auditevent SET extra = %s WHERE id = %s", [json.dumps(extra), victim.pk])
    seq, entry_id, reason = first_bad()
    assert (seq, entry_id) == (5, victim.pk) and "hash" in reason


def test_modified_time_is_named(demo: Demo, raw_sql: Any) -> None:
    victim = entry_at(7)
    raw_sql(
        "UPDATE audit_auditevent SET at = %s WHERE id = %s",
        [victim.at.replace(year=victim.at.year - 1), victim.pk],
    )
    assert first_bad()[:2] == (7, victim.pk)


def test_changed_person_id_is_named(demo: Demo, raw_sql: Any) -> None:
    """The plain id is not in the hash, but it must match its commitment."""
    victim = AuditEvent.objects.filter(actor_id=demo.people["kenji"].pk).order_by("seq").first()
    assert victim is not None
    raw_sql(
        "UPDATE audit_auditevent SET actor_id = %s WHERE id = %s",
        [demo.people["yuki"].pk, victim.pk],
    )
    seq, entry_id, reason = first_bad()
    assert (seq, entry_id) == (victim.seq, victim.pk) and "commitment" in reason


def test_deleted_entry_is_named(demo: Demo, raw_sql: Any) -> None:
    victim = entry_at(4)
    assert raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk]) == 1
    seq, entry_id, reason = first_bad()
    assert seq == 4 and "missing" in reason and entry_at(5).pk != entry_id


def test_deleted_last_entries_are_named(demo: Demo, raw_sql: Any) -> None:
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    raw_sql("DELETE FROM audit_auditevent WHERE seq >= %s", [last.seq - 1])
    seq, _, reason = first_bad()
    assert seq == last.seq - 1 and "missing" in reason


def test_reordered_entries_are_named(demo: Demo, raw_sql: Any) -> None:
    a, b = entry_at(6), entry_at(7)
    raw_sql("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [a.pk])
    raw_sql("UPDATE audit_auditevent SET seq = 6 WHERE id = %s", [b.pk])
    raw_sql("UPDATE audit_auditevent SET seq = 7 WHERE id = %s", [a.pk])
    seq, entry_id, _ = first_bad()
    assert (seq, entry_id) == (6, b.pk)


def test_swapped_ids_are_named(demo: Demo, raw_sql: Any) -> None:
    """Reordering by row id while every field and hash stays in place."""
    a, b = entry_at(8), entry_at(9)
    raw_sql("UPDATE audit_auditevent SET id = -1 WHERE id = %s", [a.pk])
    raw_sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", [a.pk, b.pk])
    raw_sql("UPDATE audit_auditevent SET id = %s WHERE id = -1", [b.pk])
    seq, _, reason = first_bad()
    assert seq == 9 and "order" in reason


def test_rewritten_and_rehashed_tail_is_caught_by_the_signed_checkpoint(
    demo: Demo, raw_sql: Any
) -> None:
    """An attacker who recomputes every hash after a change (and the chain head) leaves a
    chain that links up; only the signed checkpoint shows the rewrite."""
    first_checkpoint = do_write_checkpoint()
    assert first_checkpoint is not None
    for n in range(3):
        record_event("test.filler", actor=None, extra={"n": n})
    checkpoint = do_write_checkpoint()
    assert checkpoint is not None and checkpoint.seq > first_checkpoint.seq
    victim = entry_at(first_checkpoint.seq + 2)
    with trigger_off():
        AuditEvent.objects.filter(pk=victim.pk).update(extra={"n": 99})
        prev = entry_at(first_checkpoint.seq).entry_hash
        for entry in AuditEvent.objects.filter(seq__gt=first_checkpoint.seq).order_by("seq"):
            entry.prev_hash = prev
            entry.entry_hash = chain.entry_hash(entry)
            AuditEvent.objects.filter(pk=entry.pk).update(
                prev_hash=entry.prev_hash, entry_hash=entry.entry_hash
            )
            prev = entry.entry_hash
        last = AuditEvent.objects.order_by("-seq").first()
        assert last is not None
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditchainhead SET head_hash = %s WHERE id = 1", [last.entry_hash]
            )
    report = verify_log()
    assert not report.ok
    assert all("checkpoint" in p.reason for p in report.problems), report.problems
    problem = report.first_bad
    assert problem is not None and problem.seq == first_checkpoint.seq + 1


def test_forged_checkpoint_is_caught(demo: Demo, raw_sql: Any) -> None:
    checkpoint = do_write_checkpoint()
    assert checkpoint is not None
    document = checkpoint.document
    document["payload"]["count"] -= 1
    raw_sql(
        "UPDATE audit_auditcheckpoint SET document = %s, seq = %s WHERE id = %s",
        [json.dumps(document), checkpoint.seq - 1, checkpoint.pk],
    )
    report = verify_log()
    assert any("signature invalid" in p.reason for p in report.problems), report.problems


def test_deleted_tail_behind_a_checkpoint_is_caught(demo: Demo, raw_sql: Any) -> None:
    """Deleting the newest entries and resetting the chain head: the checkpoint knows."""
    checkpoint = do_write_checkpoint()
    assert checkpoint is not None
    keep = checkpoint.seq - 2
    kept = entry_at(keep)
    raw_sql("DELETE FROM audit_auditevent WHERE seq > %s", [keep])
    raw_sql(
        "UPDATE audit_auditchainhead SET seq = %s, head_hash = %s WHERE id = 1",
        [keep, kept.entry_hash],
    )
    assert AuditCheckpoint.objects.count() == 1
    seq, _, reason = first_bad()
    assert seq == keep + 1 and "checkpoint" in reason
