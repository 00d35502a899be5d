"""Scheduled backups on Django's Tasks API (as hisho/privacy/tasks.py's retention job).

`take_scheduled_backup` backs the database up into HISHO_BACKUP_DIR, deletes the backups
there older than policy.yaml's `retention.backups.delete_after_days` (never the newest),
and enqueues its next run HISHO_BACKUP_EVERY_HOURS later; `hisho backup --schedule`
starts the chain (idempotent: never two pending runs). Its result holds sizes and counts.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from hisho.backups.service import expired_backups, take_backup
from hisho.privacy.policy import current_policy


def keep_days() -> int:
    days = current_policy().retention["backups"].delete_after_days
    if days is None:
        raise RuntimeError("policy.yaml's retention.backups needs delete_after_days")
    return days


def delete_expired_backups(now: dt.datetime | None = None) -> int:
    expired = expired_backups(now or timezone.now(), keep_days())
    for path in expired:
        path.unlink(missing_ok=True)
    return len(expired)


@task()
def take_scheduled_backup() -> dict[str, int]:
    try:
        result = take_backup()
        deleted = delete_expired_backups()  # only once a new backup is there
    finally:
        # Each run queues the next, even one that failed (a full disk, a folder gone):
        # otherwise one bad night would end the backups until the worker is restarted.
        ensure_backups_scheduled()
    return {"bytes": result.size, "deleted": deleted}


def ensure_backups_scheduled(now: dt.datetime | None = None) -> bool:
    """Enqueue the next scheduled backup unless one is pending. True if one was enqueued."""
    backend = take_scheduled_backup.get_backend()
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    pending = DBTaskResult.objects.filter(
        task_path=take_scheduled_backup.module_path, status=TaskResultStatus.READY
    )
    if pending.exists():
        return False
    every = dt.timedelta(hours=settings.HISHO_BACKUP_EVERY_HOURS)
    take_scheduled_backup.using(run_after=(now or timezone.now()) + every).enqueue()
    return True
