"""`hisho apply-erasures`: apply every erasure in the erasure ledger that this database
does not reflect (after a point-in-time recovery, or an erasure whose commit failed);
`hisho restore` runs it itself. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hisho.backups.actions.replay import ReplayError, apply_erasures
from hisho.backups.ledger import LedgerError


class Command(BaseCommand):
    help = "Apply the erasures of the erasure ledger this database has not applied yet."
    requires_system_checks: list[str] = []  # noqa: RUF012 - the ledger check would refuse

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = apply_erasures()
        except (LedgerError, ReplayError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Applied {report.applied} ledger entr{'y' if report.applied == 1 else 'ies'}: "
            f"{len(report.erased)} account(s) erased, {len(report.absent)} not in this database."
        )
