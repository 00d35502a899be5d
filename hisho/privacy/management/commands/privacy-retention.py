"""`hisho privacy-retention`: apply the connection-data retention now (shorten old IP
addresses, delete old records); `--schedule` instead makes sure the daily job is queued
for the worker (`hisho db_worker`). Both are safe to repeat. Prints counts only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hisho.idempotency.actions import do_expire_idempotency_records
from hisho.privacy.actions.retention import do_enforce_connection_retention
from hisho.privacy.tasks import ensure_retention_scheduled


class Command(BaseCommand):
    help = "Apply connection-data retention now, or --schedule the daily job."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--schedule", action="store_true", help="queue the daily job")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queued = ensure_retention_scheduled()
            self.stdout.write(
                "Retention job queued."
                if queued
                else "Nothing queued: a run is already pending (or the task backend runs "
                "tasks at once, not later)."
            )
            return
        report = do_enforce_connection_retention()
        expired = do_expire_idempotency_records()
        self.stdout.write(
            f"Shortened {report.truncated} IP addresses; deleted {report.deleted} records"
            f" and {expired} retry records."
        )
