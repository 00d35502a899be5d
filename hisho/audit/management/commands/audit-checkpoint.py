"""`hisho audit-checkpoint`: sign the audit chain's current length and head hash.

Run it periodically (cron or a systemd timer, e.g. every 10 minutes; docs/audit.md):
a rewrite of the log older than the last checkpoint is then detectable even if the
rewriter recomputed every hash."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hisho.audit.actions import do_write_checkpoint


class Command(BaseCommand):
    help = "Write a signed checkpoint (count + head hash) of the audit log."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = do_write_checkpoint()
        if checkpoint is None:
            self.stdout.write("No new entries since the last checkpoint.")
        else:
            self.stdout.write(
                f"Checkpoint at {checkpoint.seq} entries, signed with {checkpoint.key_id}."
            )
