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
    and `reapplied` + `absent` ledger entries were applied after it. Every session in it
    ends: the backup holds the sessions and app tokens of its time, so one signed out
    since — a lost phone's, a sign-out everywhere — would otherwise work again. The push
    subscriptions made through them go with them (hisho/push/models.py)."""
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    ended, _ = Session.objects.all().delete()
    UserSession.objects.all().delete()
    record_event(
        "backups.restored",
        actor=None,
        extra={
            "tree_size": tree_size,
            "erasures_reapplied": reapplied,
            "erasures_absent": absent,
            "sessions_ended": ended,
        },
    )
