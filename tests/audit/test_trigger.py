"""PostgreSQL refuses UPDATE and DELETE on the audit log in the database itself (only
erasure's removal of plain person ids is let through)."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from hisho.audit.actions import do_write_checkpoint
from hisho.audit.models import AuditCheckpoint, AuditEvent
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
    entry = AuditEvent.objects.filter(actor_id__isnull=False).order_by("seq").first()
    assert entry is not None
    assert "append-only" in refused(
        "UPDATE audit_auditevent SET event = 'x.forged' WHERE id = %s", [entry.pk]
    )
    assert "append-only" in refused("DELETE FROM audit_auditevent WHERE id = %s", [entry.pk])
    refused("DELETE FROM audit_auditevent", [])
    refused("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE id = %s", [entry.pk])
    refused("UPDATE audit_auditevent SET entry_hash = %s WHERE id = %s", ["0" * 64, entry.pk])
    # Changing a plain id (rather than removing it) is refused too.
    refused("UPDATE audit_auditevent SET actor_id = actor_id + 1 WHERE id = %s", [entry.pk])
    # And through the ORM:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).delete()
    assert AuditEvent.objects.filter(pk=entry.pk, event=entry.event).exists()


def test_extra_may_only_lose_committed_person_ids(demo: Demo) -> None:
    entry = AuditEvent.objects.exclude(extra_refs={}).order_by("seq").first()
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


def test_checkpoints_cannot_be_changed_or_deleted(demo: Demo) -> None:
    checkpoint = do_write_checkpoint()
    assert checkpoint is not None
    assert "append-only" in refused(
        "UPDATE audit_auditcheckpoint SET head_hash = %s WHERE id = %s", ["0" * 64, checkpoint.pk]
    )
    assert "append-only" in refused(
        "DELETE FROM audit_auditcheckpoint WHERE id = %s", [checkpoint.pk]
    )
    assert AuditCheckpoint.objects.filter(pk=checkpoint.pk).exists()
