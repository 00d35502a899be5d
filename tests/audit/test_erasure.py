"""Erasure: the person's id leaves the log, their pseudonym stays but no longer resolves
(their audit key is destroyed), and the chain still verifies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hisho.audit import chain, merkle
from hisho.audit.actions import do_erase_audit_subject, do_write_checkpoint, record_event
from hisho.audit.chain import PERSON_KEYS, person_target_type
from hisho.audit.models import AuditEvent, AuditSubject
from hisho.audit.subjects import resolve
from hisho.audit.tree import inclusion_proof
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from hisho.errors import Forbidden
from hisho.vault.actions import do_shred_customer_key


def mentions(person_id: int) -> list[AuditEvent]:
    def names(entry: AuditEvent) -> bool:
        as_target = entry.target_type == person_target_type() and entry.target_id == str(person_id)
        in_extra = any(entry.extra.get(key) == person_id for key in PERSON_KEYS)
        return entry.actor_id == person_id or as_target or in_extra

    return [entry for entry in AuditEvent.objects.all() if names(entry)]


def test_erasure_keeps_the_chain_verifiable_without_the_id(demo: Demo) -> None:
    alice, admin = demo.people["alice"], demo.people["admin"]
    record_event("test.about_alice", actor=admin, target=alice, extra={"customer_id": alice.pk})
    before = mentions(alice.pk)
    assert len(before) >= 5  # account, errands, messages, the event above
    ref = AuditSubject.objects.get(user_id=alice.pk).ref
    assert resolve(ref) == alice.pk
    do_write_checkpoint()
    hashes = dict(AuditEvent.objects.values_list("pk", "leaf_hash"))

    do_shred_customer_key(actor=alice, customer=alice)
    assert do_erase_audit_subject(actor=alice, person_id=alice.pk) == ref

    assert mentions(alice.pk) == []
    assert not AuditSubject.objects.filter(user_id=alice.pk).exists()
    subject = AuditSubject.objects.get(ref=ref)
    assert subject.erased and subject.wrapped_key is None and subject.master_key_id == ""
    assert resolve(ref) is None  # the pseudonym no longer resolves
    # The entries are all still there, now naming her by pseudonym only…
    for entry in before:
        entry.refresh_from_db()
        assert ref in (entry.actor_ref, entry.target_ref, *entry.extra_refs.values())
    # …no hash changed, and the whole log verifies.
    assert all(AuditEvent.objects.get(pk=pk).leaf_hash == value for pk, value in hashes.items())
    report = verify_log()
    assert report.ok, report.problems
    # Integrated after the erasure too (the erasure's own entry included): the tree, its
    # signed heads and her entries' inclusion proofs all still check.
    head = do_write_checkpoint()
    assert head is not None and verify_log().ok
    for entry in before:
        proof = inclusion_proof(entry.leaf_index, head.size)
        assert merkle.verify_inclusion(
            entry.leaf_index,
            head.size,
            merkle.leaf_hash(chain.leaf_data(entry)),
            proof.hashes,
            bytes.fromhex(head.root_hash),
        )
    # Her id is nowhere in the log's tables any more (ids are ints: look for the field).
    dump = json.dumps(list(AuditEvent.objects.filter(actor_ref=ref).values()), default=str)
    assert f'"actor_id": {alice.pk},' not in dump
    erasure = AuditEvent.objects.filter(event="audit.subject_erased").get()
    assert erasure.actor_id is None and erasure.extra == {"person_id": None}
    # Others are untouched.
    bob_ref = AuditSubject.objects.get(user_id=demo.people["bob"].pk).ref
    assert resolve(bob_ref) == demo.people["bob"].pk


def test_an_admin_may_erase_others_may_not(demo: Demo) -> None:
    with pytest.raises(Forbidden):
        do_erase_audit_subject(actor=demo.people["kenji"], person_id=demo.people["bob"].pk)
    assert resolve(AuditSubject.objects.get(user_id=demo.people["bob"].pk).ref)
    do_erase_audit_subject(actor=demo.people["admin"], person_id=demo.people["bob"].pk)
    assert mentions(demo.people["bob"].pk) == []
    assert verify_log().ok


def test_removing_an_id_without_erasure_is_caught(demo: Demo, raw_sql: Any) -> None:
    bob = demo.people["bob"]
    do_write_checkpoint()
    victim = AuditEvent.objects.filter(actor_id=bob.pk).order_by("leaf_index").first()
    assert victim is not None
    raw_sql("UPDATE audit_auditevent SET actor_id = NULL WHERE id = %s", [victim.pk])
    report = verify_log()
    problem = report.first_bad
    assert problem is not None and (problem.index, problem.entry_id) == (
        victim.leaf_index,
        victim.pk,
    )
    assert "not erased" in problem.reason


def test_putting_an_erased_id_back_is_caught(demo: Demo, raw_sql: Any) -> None:
    bob = demo.people["bob"]
    victim = AuditEvent.objects.filter(actor_id=bob.pk).order_by("id").first()
    assert victim is not None
    do_erase_audit_subject(actor=None, person_id=bob.pk)
    raw_sql("UPDATE audit_auditevent SET actor_id = %s WHERE id = %s", [bob.pk, victim.pk])
    problem = verify_log().first_bad
    assert problem is not None and problem.entry_id == victim.pk
