"""Audit events of backups and restores (ids, sizes and counts only)."""

from __future__ import annotations

from django.db import transaction

from hisho.audit.actions import record_event


@transaction.atomic
def do_record_backup(*, tree_size: int, payload_bytes: int, backup_bytes: int) -> None:
    """A backup was taken (after its snapshot: the backup does not contain this event)."""
    record_event(
        "backups.backup_taken",
        actor=None,
        extra={
            "tree_size": tree_size,
            "payload_bytes": payload_bytes,
            "backup_bytes": backup_bytes,
        },
    )


@transaction.atomic
def do_record_restore(*, tree_size: int, reapplied: int, absent: int) -> None:
    """This database was restored from a backup whose audit tree had `tree_size` leaves,
    and `reapplied` + `absent` ledger entries were applied after it."""
    record_event(
        "backups.restored",
        actor=None,
        extra={"tree_size": tree_size, "erasures_reapplied": reapplied, "erasures_absent": absent},
    )
