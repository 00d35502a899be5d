"""`hisho privacy-retention`: apply the retention now (shorten old IP addresses, delete old
connection records, retry records, payments past their period and orphaned attachment
files); `--schedule` instead makes sure the daily job is queued for the worker
(`hisho db_worker`). Both are safe to repeat. Prints counts only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hisho.privacy.tasks import apply_retention, ensure_retention_scheduled


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
        done = apply_retention()
        self.stdout.write(
            f"Shortened {done['truncated']} IP addresses; deleted {done['deleted']} records,"
            f" {done['retry_records']} retry records, {done['payments']} payments past their"
            f" period, {done['orphaned_files']} orphaned attachment files and"
            f" {done['ended_sessions']} ended sessions."
        )
