"""Tampering done directly in the database: the verifier names the exact entry.

(Rewritten for issue 15: positions are leaf indices of the Merkle tree, and what the
chain head and signed chain checkpoints caught is now caught by the signed tree heads.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hisho.audit import chain, merkle
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from hisho.audit.tree import TreeMismatch, node_key, sign_checkpoint
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from tests.audit.conftest import trigger_off


def entry_at(index: int) -> AuditEvent:
    return AuditEvent.objects.get(leaf_index=index)


def first_bad() -> tuple[int | None, int | None, str]:
    report = verify_log()
    assert not report.ok
    problem = report.first_bad
    assert problem is not None
    return problem.index, problem.entry_id, problem.reason


def integrated(demo: Demo) -> int:
    head = do_write_checkpoint()
    assert head is not None and verify_log().ok
    return head.size


def test_modified_content_is_named(demo: Demo, raw_sql: Any) -> None:
    integrated(demo)
    victim = entry_at(5)
    extra = {**victim.extra, "forged": 1}
    raw_sql("UPDATE audit_auditevent SET extra = %s WHERE id = %s", [json.dumps(extra), victim.pk])
    index, entry_id, reason = first_bad()
    assert (index, entry_id) == (5, victim.pk) and "hash" in reason


def test_modified_time_is_named(demo: Demo, raw_sql: Any) -> None:
    integrated(demo)
    victim = entry_at(7)
    raw_sql(
        "UPDATE audit_auditevent SET at = %s WHERE id = %s",
        [victim.at.replace(year=victim.at.year - 1), victim.pk],
    )
    assert first_bad()[:2] == (7, victim.pk)


def test_changed_person_id_is_named(demo: Demo, raw_sql: Any) -> None:
    """The plain id is not in the hash, but it must match its commitment."""
    integrated(demo)
    victim = (
        AuditEvent.objects.filter(actor_id=demo.people["kenji"].pk).order_by("leaf_index").first()
    )
    assert victim is not None
    raw_sql(
        "UPDATE audit_auditevent SET actor_id = %s WHERE id = %s",
        [demo.people["yuki"].pk, victim.pk],
    )
    index, entry_id, reason = first_bad()
    assert (index, entry_id) == (victim.leaf_index, victim.pk) and "commitment" in reason


def test_deleted_entry_is_named(demo: Demo, raw_sql: Any) -> None:
    integrated(demo)
    victim = entry_at(4)
    assert raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk]) == 1
    index, entry_id, reason = first_bad()
    assert index == 4 and "missing" in reason and entry_at(5).pk != entry_id


def test_deleted_last_entries_are_named(demo: Demo, raw_sql: Any) -> None:
    size = integrated(demo)
    raw_sql("DELETE FROM audit_auditevent WHERE leaf_index >= %s", [size - 2])
    index, _, reason = first_bad()
    assert index == size - 2 and "missing" in reason and "signed a longer log" in reason


def test_reordered_entries_are_named(demo: Demo, raw_sql: Any) -> None:
    integrated(demo)
    a, b = entry_at(6), entry_at(7)
    raw_sql("UPDATE audit_auditevent SET leaf_index = -1 WHERE id = %s", [a.pk])
    raw_sql("UPDATE audit_auditevent SET leaf_index = 6 WHERE id = %s", [b.pk])
    raw_sql("UPDATE audit_auditevent SET leaf_index = 7 WHERE id = %s", [a.pk])
    report = verify_log()
    assert not report.ok
    assert any("differ from what signed tree head" in p.reason for p in report.problems)


def rewrite_and_rehash(victim: AuditEvent, extra: dict[str, Any]) -> None:
    """What someone with full database access does to hide a change: new content, its
    leaf hash recomputed, and every tree node rebuilt to match."""
    with trigger_off():
        AuditEvent.objects.filter(pk=victim.pk).update(extra=extra)
        victim.refresh_from_db()
        AuditEvent.objects.filter(pk=victim.pk).update(leaf_hash=chain.leaf_hash(victim))
        leaves = [
            bytes.fromhex(h)
            for h in AuditEvent.objects.exclude(leaf_index=None)
            .order_by("leaf_index")
            .values_list("leaf_hash", flat=True)
        ]
        AuditTreeNode.objects.all().delete()
        nodes = merkle.new_nodes(0, leaves, {})
        AuditTreeNode.objects.bulk_create(
            [AuditTreeNode(key=node_key(*k), hash=v) for k, v in nodes.items()]
        )


def test_rewritten_and_rehashed_entries_are_caught_by_the_signed_head(demo: Demo) -> None:
    """The rewriter recomputes the leaf hash and every node: the tree is consistent with
    itself, and only the signed tree head shows the rewrite."""
    first = do_write_checkpoint()
    assert first is not None
    for n in range(3):
        record_event("test.filler", actor=None, extra={"n": n})
    second = do_write_checkpoint()
    assert second is not None and second.size == first.size + 3
    rewrite_and_rehash(entry_at(first.size + 1), {"n": 99})
    report = verify_log()
    assert not report.ok
    assert all("signed tree head" in p.reason for p in report.problems), report.problems
    problem = report.first_bad
    assert problem is not None and problem.index == first.size  # after the head that matches


def test_forged_head_is_caught(demo: Demo, raw_sql: Any) -> None:
    head = do_write_checkpoint()
    assert head is not None
    forged = head.note.replace(f"\n{head.size}\n", f"\n{head.size - 1}\n")
    raw_sql(
        "UPDATE audit_audittreehead SET note = %s, size = %s WHERE id = %s",
        [forged, head.size - 1, head.pk],
    )
    report = verify_log()
    assert any("signature invalid" in p.reason for p in report.problems), report.problems


def test_deleted_tail_behind_a_head_is_caught(demo: Demo, raw_sql: Any) -> None:
    """Deleting the newest entries and their nodes: the signed head knows the tree's size."""
    head = do_write_checkpoint()
    assert head is not None
    keep = head.size - 2
    raw_sql("DELETE FROM audit_auditevent WHERE leaf_index >= %s", [keep])
    assert AuditTreeHead.objects.count() == 1
    index, _, reason = first_bad()
    assert index == keep and "head" in reason


def test_a_head_signed_over_a_fork_is_caught(demo: Demo) -> None:
    """The operator signs a head for a tree that is not the one in the database."""
    head = do_write_checkpoint()
    assert head is not None
    record_event("test.after", actor=None)
    note, key_id = sign_checkpoint(head.size + 1, b"\x07" * 32)
    AuditTreeHead.objects.create(size=head.size + 1, root_hash="07" * 32, key_id=key_id, note=note)
    # The sequencer signs nothing over a tree that is not the latest head's (and
    # integrates nothing either): the entry waits, and audit-verify names the head.
    with pytest.raises(TreeMismatch, match="latest signed tree head is of size"):
        do_write_checkpoint()
    assert not AuditEvent.objects.filter(leaf_index=head.size).exists()
    problem = verify_log().first_bad
    assert problem is not None
    assert f"signed tree head {head.size + 1} signed a longer log" in problem.reason


def test_pending_entries_are_checked_against_their_own_hash(demo: Demo, raw_sql: Any) -> None:
    """The window: an entry not yet integrated is covered by no signed head. Changed in
    place it is still caught (its leaf hash); deleted, or rewritten with its hash, it is
    not — until the next head, which the sequencer signs within about a second."""
    do_write_checkpoint()
    pending = record_event("test.pending", actor=None, extra={"n": 1})
    report = verify_log()
    assert report.ok and report.pending == 1
    raw_sql("UPDATE audit_auditevent SET extra = %s WHERE id = %s", ['{"n": 2}', pending.pk])
    report = verify_log()
    assert [(p.index, p.entry_id) for p in report.problems] == [(None, pending.pk)]
    pending.refresh_from_db()
    raw_sql(
        "UPDATE audit_auditevent SET leaf_hash = %s WHERE id = %s",
        [chain.leaf_hash(pending), pending.pk],
    )
    assert verify_log().ok  # rewritten with its hash before integration: not detectable
    head = do_write_checkpoint()
    assert head is not None and AuditEvent.objects.get(pk=pending.pk).leaf_index is not None
    raw_sql("UPDATE audit_auditevent SET extra = %s WHERE id = %s", ['{"n": 3}', pending.pk])
    assert not verify_log().ok  # once integrated, the signed head covers it


# --- the stored tree nodes (what proofs are served from) -------------------------------------


def stored_node(level: int, index: int) -> bytes:
    return bytes(AuditTreeNode.objects.get(key=node_key(level, index)).hash)


def test_a_rewritten_stored_node_is_caught_with_the_entries_untouched(
    demo: Demo, raw_sql: Any
) -> None:
    """Someone rewrites a stored node (so inclusion proofs served for leaves 4 and 5 no
    longer match the signed head) and touches no entry: the verifier names the node."""
    integrated(demo)
    assert (
        raw_sql(
            "UPDATE audit_audittreenode SET hash = %s WHERE key = %s",
            [b"\x07" * 32, node_key(1, 2)],
        )
        == 1
    )
    report = verify_log()
    assert not report.ok
    assert [p.reason for p in report.problems] == [
        "stored tree node 1/2 (leaves 4 to 5) does not match the entries (rewritten)"
    ]
    assert report.first_bad is not None and report.first_bad.index == 4


def test_an_entry_rewritten_with_only_some_hashes_recomputed_is_named(
    demo: Demo, raw_sql: Any
) -> None:
    """The rewriter changes leaf 5, recomputes its leaf hash and its leaf node, but not the
    nodes above: the first problem named is the stale node over leaf 5, not merely "the
    tree differs from the head"; the signed head disagrees as well."""
    size = integrated(demo)
    assert size > 8
    victim = entry_at(5)
    raw_sql(
        "UPDATE audit_auditevent SET extra = %s WHERE id = %s",
        [json.dumps({**victim.extra, "forged": 1}), victim.pk],
    )
    victim.refresh_from_db()
    new_leaf = chain.leaf_hash(victim)
    raw_sql("UPDATE audit_auditevent SET leaf_hash = %s WHERE id = %s", [new_leaf, victim.pk])
    raw_sql(
        "UPDATE audit_audittreenode SET hash = %s WHERE key = %s",
        [bytes.fromhex(new_leaf), node_key(0, 5)],
    )
    assert stored_node(0, 5).hex() == new_leaf
    report = verify_log()
    assert not report.ok
    reasons = [p.reason for p in report.problems]
    assert "stored tree node 1/2 (leaves 4 to 5) does not match the entries (rewritten)" in (
        reasons
    )
    assert not any("node 0/5" in r for r in reasons)  # that one was recomputed
    assert any("differ from what signed tree head" in r for r in reasons)
    first = report.first_bad
    assert first is not None and first.index == 4 and "node 1/2" in first.reason


def test_a_deleted_or_added_stored_node_is_caught(demo: Demo, raw_sql: Any) -> None:
    size = integrated(demo)
    assert raw_sql("DELETE FROM audit_audittreenode WHERE key = %s", [node_key(0, 3)]) == 1
    raw_sql(
        "INSERT INTO audit_audittreenode (key, hash) VALUES (%s, %s)",
        [node_key(0, size + 5), b"\x01" * 32],
    )
    reasons = [p.reason for p in verify_log().problems]
    assert reasons == [
        "stored tree node 0/3 (leaf 3) is missing",
        f"stored tree node 0/{size + 5} (leaf {size + 5}) lies outside the tree (added)",
    ]


def test_a_stored_node_beyond_every_block_is_caught(demo: Demo, raw_sql: Any) -> None:
    """A node far above the tree (a level no block query covers) is still counted."""
    integrated(demo)
    raw_sql(
        "INSERT INTO audit_audittreenode (key, hash) VALUES (%s, %s)",
        [node_key(40, 3), b"\x01" * 32],
    )
    reasons = [p.reason for p in verify_log().problems]
    assert len(reasons) == 1 and "lies outside the tree (added)" in reasons[0]


def test_node_checks_across_blocks(demo: Demo, raw_sql: Any, monkeypatch: Any) -> None:
    """Blocks of 4 leaves (a million-entry log uses 4,096): an honest log verifies, and a
    rewritten node inside a later block and one above the block level are both named."""
    from hisho.audit import verify

    monkeypatch.setattr(verify, "BLOCK_LEVEL", 2)
    monkeypatch.setattr(verify, "BLOCK", 4)
    size = integrated(demo)
    assert size > 16
    for level, index in ((1, 5), (3, 1)):
        raw_sql(
            "UPDATE audit_audittreenode SET hash = %s WHERE key = %s",
            [b"\x07" * 32, node_key(level, index)],
        )
    reasons = [p.reason for p in verify_log().problems]
    assert reasons == [
        "stored tree node 1/5 (leaves 10 to 11) does not match the entries (rewritten)",
        "stored tree node 3/1 (leaves 8 to 15) does not match the entries (rewritten)",
    ]


def test_a_deleted_stored_node_makes_proofs_a_503_not_a_crash(
    demo: Demo, raw_sql: Any, api_as: Any
) -> None:
    """Someone deletes stored nodes: the public proof endpoints answered 500 (a KeyError
    deep in the tree). The tree is incomplete until its operator repairs it — a 503
    problem that says so, and the error log tells the operator; audit-verify names it."""
    size = integrated(demo)
    assert raw_sql("DELETE FROM audit_audittreenode WHERE key = %s", [node_key(0, 5)]) == 1
    anonymous = api_as("anonymous")
    for path, query in [
        ("/audit/proof/inclusion", {"index": 5, "size": size}),
        ("/audit/proof/consistency", {"from": 5, "to": size}),  # its proof needs leaf 5
    ]:
        response = anonymous.get(path, **query)
        assert response.status_code == 503, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert "incomplete" in response.json()["detail"]
    assert not verify_log().ok
