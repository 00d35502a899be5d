"""The hash chain as record_event writes it: positions without gaps, each entry linked to
the one before, person ids covered only as commitments, the caller's transaction
respected, and a clean log verifying."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from hisho.audit import chain
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditChainHead, AuditEvent, AuditSubject
from hisho.audit.subjects import resolve
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand


def test_entries_form_a_chain(demo: Demo) -> None:
    entries = list(AuditEvent.objects.order_by("seq"))
    assert len(entries) >= 10  # the demo world, built through actions
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == chain.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.pk > before.pk
    for entry in entries:
        assert chain.entry_hash(entry) == entry.entry_hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.head_hash) == (entries[-1].seq, entries[-1].entry_hash)


def test_a_clean_log_verifies(demo: Demo, capsys: Any) -> None:
    assert do_write_checkpoint() is not None
    record_event("test.after_checkpoint", actor=demo.people["admin"])
    report = verify_log()
    assert report.ok, report.problems
    assert report.checkpoints == 1 and report.entries == AuditEvent.objects.count()
    call_command("audit-verify")
    assert "OK:" in capsys.readouterr().out


def test_person_ids_are_covered_as_commitments(demo: Demo) -> None:
    kenji, admin = demo.people["kenji"], demo.people["admin"]
    errand = do_assign_errand(actor=admin, errand=demo.alice_new_errand, assistant_id=kenji.pk)
    entry = AuditEvent.objects.filter(event="errand.assigned", target_id=str(errand.pk)).get()
    assert entry.actor_id == admin.pk and entry.extra["assignee_id"] == kenji.pk
    assert resolve(entry.actor_ref) == admin.pk
    assert resolve(entry.extra_refs["assignee_id"]) == kenji.pk
    hashed = chain.hashed_document(entry)
    assert hashed["actor"] == entry.actor_ref
    assert hashed["extra"]["assignee_id"] == entry.extra_refs["assignee_id"]
    # Each person has one pseudonym, made under their own key: not a hash of the id alone.
    assert AuditSubject.objects.filter(user_id=kenji.pk).get().ref == hashed["extra"]["assignee_id"]
    assert len({s.ref for s in AuditSubject.objects.all()}) == AuditSubject.objects.count()


def test_record_event_joins_the_callers_transaction(demo: Demo) -> None:
    head_before = AuditChainHead.objects.get(pk=1).seq
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("test.rolled_back", actor=demo.people["alice"])
        assert AuditChainHead.objects.get(pk=1).seq == head_before + 1
        raise RuntimeError("the action failed after recording")
    assert AuditChainHead.objects.get(pk=1).seq == head_before
    assert not AuditEvent.objects.filter(event="test.rolled_back").exists()
    entry = record_event("test.kept", actor=None)
    assert entry.seq == head_before + 1  # no gap where the rolled-back entry was
    assert verify_log().ok


@pytest.mark.parametrize(
    "extra",
    [
        {"note": "Alice's phone is 090-1234-5678"},
        {"email": "alice@example.com" * 4},
        {"name": "アリス"},
        {"nested": {"a": 1}},
        {"big": 2**60},
        {"person_id": "7"},
        {"customer_id": True},
    ],
)
def test_free_text_and_non_ids_are_refused(demo: Demo, extra: dict[str, Any]) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError) as excinfo:
        record_event("test.refused", actor=None, extra=extra)
    assert "@" not in str(excinfo.value) and "090" not in str(excinfo.value)
    assert AuditEvent.objects.count() == before


def test_entries_hold_ids_only(demo: Demo) -> None:
    """No e-mail address, name or content of the demo world appears in any entry."""
    dump = json.dumps(
        list(AuditEvent.objects.values()), default=str, ensure_ascii=False
    ) + json.dumps(list(AuditSubject.objects.values("ref", "user_id")), default=str)
    for handle, user in demo.people.items():
        assert user.email not in dump and f"{handle}@" not in dump
    for secret in ("Shibuya", "vegetarian", "090-1234-5678", "Jingumae", "Alice", "Kenji"):
        assert secret not in dump


def test_verify_command_fails_loudly(demo: Demo, raw_sql: Any) -> None:
    target = AuditEvent.objects.order_by("seq")[3]
    raw_sql("UPDATE audit_auditevent SET event = %s WHERE id = %s", ["errand.cancelled", target.pk])
    with pytest.raises(CommandError) as excinfo:
        call_command("audit-verify")
    assert f"entry seq {target.seq} (id {target.pk})" in str(excinfo.value)
    assert excinfo.value.returncode == 1
