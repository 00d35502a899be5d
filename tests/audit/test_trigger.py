"""PostgreSQL refuses UPDATE and DELETE on the audit log in the database itself (only
erasure's removal of plain person ids, and the sequencer's setting of a leaf index once,
are let through). Updated for issue 15: `seq`/`entry_hash` became `leaf_index`/`leaf_hash`,
and the tree's nodes and signed heads are append-only like the old checkpoints."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from hisho.demo import Demo
from tests.audit.conftest import postgresql_only

pytestmark = postgresql_only


def refused(sql: str, params: list[object]) -> str:
    with (
        pytest.raises(DatabaseError) as excinfo,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return str(excinfo.value)


def test_update_and_delete_of_events_are_refused(demo: Demo) -> None:
    do_write_checkpoint()
    entry = AuditEvent.objects.filter(actor_id__isnull=False).order_by("leaf_index").first()
    assert entry is not None
    assert "append-only" in refused(
        "UPDATE audit_auditevent SET event = 'x.forged' WHERE id = %s", [entry.pk]
    )
    assert "append-only" in refused("DELETE FROM audit_auditevent WHERE id = %s", [entry.pk])
    refused("DELETE FROM audit_auditevent", [])
    refused(
        "UPDATE audit_auditevent SET leaf_index = leaf_index + 1000000 WHERE id = %s", [entry.pk]
    )
    refused("UPDATE audit_auditevent SET leaf_index = NULL WHERE id = %s", [entry.pk])
    refused("UPDATE audit_auditevent SET leaf_hash = %s WHERE id = %s", ["0" * 64, entry.pk])
    # Changing a plain id (rather than removing it) is refused too.
    refused("UPDATE audit_auditevent SET actor_id = actor_id + 1 WHERE id = %s", [entry.pk])
    # And through the ORM:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).delete()
    assert AuditEvent.objects.filter(pk=entry.pk, event=entry.event).exists()


def test_extra_may_only_lose_committed_person_ids(demo: Demo) -> None:
    entry = AuditEvent.objects.exclude(extra_refs={}).order_by("id").first()
    assert entry is not None
    key = next(iter(entry.extra_refs))
    other = next((k for k in entry.extra if k not in entry.extra_refs), None)
    changed = {**entry.extra, key: 12345}
    refused("UPDATE audit_auditevent SET extra = %s WHERE id = %s", [json.dumps(changed), entry.pk])
    dropped = {k: v for k, v in entry.extra.items() if k != key}
    refused("UPDATE audit_auditevent SET extra = %s WHERE id = %s", [json.dumps(dropped), entry.pk])
    if other is not None:
        nulled_other = {**entry.extra, other: None}
        refused(
            "UPDATE audit_auditevent SET extra = %s WHERE id = %s",
            [json.dumps(nulled_other), entry.pk],
        )
    # Erasure's own change passes.
    erased = {**entry.extra, key: None}
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET extra = %s, actor_id = NULL WHERE id = %s",
            [json.dumps(erased), entry.pk],
        )
    entry.refresh_from_db()
    assert entry.extra[key] is None


def test_a_leaf_index_is_set_once(demo: Demo) -> None:
    entry = record_event("test.pending", actor=None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET leaf_index = 999999 WHERE id = %s", [entry.pk])
    refused("UPDATE audit_auditevent SET leaf_index = 999998 WHERE id = %s", [entry.pk])


def test_tree_nodes_and_heads_cannot_be_changed_or_deleted(demo: Demo) -> None:
    head = do_write_checkpoint()
    assert head is not None
    assert "append-only" in refused(
        "UPDATE audit_audittreehead SET root_hash = %s WHERE id = %s", ["0" * 64, head.pk]
    )
    assert "append-only" in refused("DELETE FROM audit_audittreehead WHERE id = %s", [head.pk])
    node = AuditTreeNode.objects.order_by("key").first()
    assert node is not None
    assert "append-only" in refused(
        "UPDATE audit_audittreenode SET hash = %s WHERE key = %s", [b"\0" * 32, node.key]
    )
    assert "append-only" in refused("DELETE FROM audit_audittreenode", [])
    assert AuditTreeHead.objects.filter(pk=head.pk, root_hash=head.root_hash).exists()


def test_an_entry_whose_extra_is_no_object_is_refused(demo: Demo) -> None:
    """A plain INSERT (no owner rights) of such a row made the append-only trigger refuse
    the sequencer's UPDATE of its leaf index: every later integration failed."""
    insert = (
        "INSERT INTO audit_auditevent (version, salt, at, event, target_type, target_id,"
        " extra, actor_ref, target_ref, extra_refs, prev_hash, leaf_hash)"
        " VALUES (3, %s, now(), 'test.bad', '', '', %s, '', '', %s, '', %s)"
    )
    for extra, refs in (("[1]", "{}"), ('"x"', "{}"), ("null", "{}"), ("{}", "[1]")):
        assert "INSERT refused" in refused(insert, ["0" * 32, extra, refs, "0" * 64])
    record_event("test.good", actor=None, extra={"n": 1})
    assert do_write_checkpoint() is not None
