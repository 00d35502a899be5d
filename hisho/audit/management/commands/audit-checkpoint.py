"""`hisho audit-checkpoint`: integrate every committed audit entry into the Merkle tree
now and sign the new tree head. The sequencer in every job worker does this continuously
(docs/audit.md §3); this is for scripts, tests and a log without a worker."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from hisho.audit.actions import do_write_checkpoint
from hisho.audit.tree import TreeMismatch


class Command(BaseCommand):
    help = "Integrate pending audit entries and sign a tree head (a C2SP checkpoint)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            head = do_write_checkpoint()
        except TreeMismatch as mismatch:
            raise CommandError(f"Not signing: {mismatch}. Run `hisho audit-verify`.") from None
        except ImproperlyConfigured as exc:
            raise CommandError(f"Not signing: {exc}.") from None
        if head is None:
            self.stdout.write("No new entries since the last signed tree head.")
        else:
            self.stdout.write(f"Signed tree head at {head.size} entries, key {head.key_id}.")
