"""What a tamperer with the database's owner rights could do that `hisho audit-verify`
did not see, and that the sequencer did not survive: delete every signed head, erase a
person by hand (hiding who did what without the erasure's own entry), or store a leaf
hash that is no SHA-256."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from hisho.audit import chain, merkle
from hisho.audit.actions import do_erase_audit_subject, do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent, AuditSubject, AuditTreeHead
from hisho.audit.tree import inclusion_proof, latest_head
from hisho.audit.verify import verify_log
from hisho.demo import Demo

pytestmark = pytest.mark.django_db


def test_deleting_every_signed_head_is_found(demo: Demo, raw_sql: Any) -> None:
    record_event("test.more", actor=None)
    assert do_write_checkpoint() is not None
    assert verify_log().ok
    raw_sql("DELETE FROM audit_audittreehead")
    report = verify_log()
    assert not report.ok
    assert any("covered by no signed tree head" in p.reason for p in report.problems)


def test_deleting_the_newest_heads_is_found(demo: Demo, raw_sql: Any) -> None:
    first = do_write_checkpoint()
    record_event("test.more", actor=None)
    second = do_write_checkpoint()
    assert first is not None and second is not None and verify_log().ok
    raw_sql("DELETE FROM audit_audittreehead WHERE size > %s", [first.size])
    problems = verify_log().problems
    assert [p.index for p in problems if "no signed tree head" in p.reason] == [first.size]


def test_an_erasure_made_by_hand_is_found(demo: Demo, raw_sql: Any) -> None:
    kenji = demo.people["kenji"]
    do_write_checkpoint()
    subject = AuditSubject.objects.get(user_id=kenji.pk)
    assert AuditEvent.objects.filter(actor_ref=subject.ref).exists()
    # Everything do_erase_audit_subject changes, but its own entry.
    raw_sql(
        "UPDATE audit_auditsubject SET user_id = NULL, wrapped_key = NULL, "
        "master_key_id = '', erased_at = %s WHERE ref = %s",
        [timezone.now(), subject.ref],
    )
    raw_sql("UPDATE audit_auditevent SET actor_id = NULL WHERE actor_ref = %s", [subject.ref])
    raw_sql("UPDATE audit_auditevent SET target_id = '' WHERE target_ref = %s", [subject.ref])
    report = verify_log()
    assert [p.reason for p in report.problems if "marked erased" in p.reason], report.problems


def test_a_real_erasure_still_verifies(demo: Demo) -> None:
    bob = demo.people["bob"]
    do_write_checkpoint()
    do_erase_audit_subject(actor=demo.people["admin"], person_id=bob.pk)
    do_write_checkpoint()
    report = verify_log()
    assert report.ok, report.problems


@pytest.mark.parametrize("stored", ["zz", "abcd", "", "A" * 64, " " + "a" * 63])
def test_a_malformed_leaf_hash_neither_enters_the_tree_nor_stops_the_sequencer(
    demo: Demo, raw_sql: Any, caplog: pytest.LogCaptureFixture, stored: str
) -> None:
    do_write_checkpoint()
    bad = record_event("test.bad", actor=None, extra={"n": 1})
    raw_sql("UPDATE audit_auditevent SET leaf_hash = %s WHERE id = %s", [stored, bad.pk])
    with caplog.at_level(logging.ERROR, logger="hisho.audit.tree"):
        call_command("audit-checkpoint")  # no traceback, a head is signed
    good = record_event("test.good", actor=None, extra={"n": 2})
    call_command("audit-checkpoint")
    bad.refresh_from_db()
    good.refresh_from_db()
    head = latest_head()
    assert head is not None and bad.leaf_index is not None and good.leaf_index is not None
    assert head.size == good.leaf_index + 1
    # In the tree: the hash of the entry's content, never the stored text.
    proof = inclusion_proof(bad.leaf_index, head.size)
    assert proof.leaf_hash == merkle.leaf_hash(chain.leaf_data(bad))
    assert f"entry {bad.pk} has a malformed leaf hash" in caplog.text
    # audit-verify keeps naming the row whose stored hash is not its content's.
    problems = verify_log().problems
    assert [(p.entry_id, p.reason) for p in problems] == [
        (bad.pk, "its content does not match its hash")
    ]
    assert AuditTreeHead.objects.filter(size=head.size).exists()


# Rows whose stored columns make no hashed document: `hisho audit-verify` stopped with a
# traceback at the first one (AttributeError, NotCanonical), so it reported nothing at all.
UNREADABLE_ROWS = [
    ("extra", "[1]"),
    ("extra", '"text"'),
    ("extra", '{"n": 1.5}'),
    ("extra_refs", '"text"'),
    ("extra_refs", "[1]"),
]


@pytest.mark.parametrize(("column", "value"), UNREADABLE_ROWS)
def test_an_integrated_row_that_makes_no_entry_is_named_not_a_crash(
    demo: Demo, raw_sql: Any, column: str, value: str
) -> None:
    bad = record_event("test.bad", actor=None, extra={"n": 1})
    do_write_checkpoint()
    raw_sql(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, bad.pk])  # noqa: S608
    problems = verify_log().problems
    assert problems[0].entry_id == bad.pk
    assert problems[0].reason.startswith("its stored columns make no entry")
    # The tree is re-derived with the leaf that was integrated: no head is called rewritten.
    assert not [p for p in problems if p.covers_range], problems


@pytest.mark.parametrize(("column", "value"), UNREADABLE_ROWS)
def test_a_pending_row_that_makes_no_entry_nor_hash_does_not_stop_the_sequencer(
    demo: Demo, raw_sql: Any, column: str, value: str
) -> None:
    """A malformed leaf hash made the sequencer integrate the content's hash instead; with
    no readable content either, every step failed, and no later entry was ever signed."""
    if connection.vendor == "postgresql" and not value.startswith("{"):
        # There the append-only trigger reads `extra` as an object and refuses the
        # sequencer's UPDATE of such a row: a tamper with the trigger off stalls the log
        # by other means (the INSERT guard refuses such a row from anyone without it).
        pytest.skip("the append-only trigger refuses to integrate a non-object extra")
    do_write_checkpoint()
    bad = record_event("test.bad", actor=None, extra={"n": 1})
    raw_sql(
        f"UPDATE audit_auditevent SET {column} = %s, leaf_hash = 'zz' WHERE id = %s",  # noqa: S608
        [value, bad.pk],
    )
    assert {p.entry_id for p in verify_log().problems} == {bad.pk}  # pending: named too
    call_command("audit-checkpoint")
    good = record_event("test.good", actor=None, extra={"n": 2})
    call_command("audit-checkpoint")
    bad.refresh_from_db()
    good.refresh_from_db()
    head = latest_head()
    assert head is not None and good.leaf_index is not None and head.size == good.leaf_index + 1
    assert bad.leaf_index is not None
    assert inclusion_proof(bad.leaf_index, head.size).leaf_hash == chain.UNREADABLE_LEAF
    problems = verify_log().problems
    assert {p.entry_id for p in problems} == {bad.pk}, problems
    assert not [p for p in problems if p.covers_range], problems
