"""`hisho audit-verify`: re-derive the audit log's whole Merkle tree from its entries and
check every signed tree head, the person-id commitments and the former chain's signed
checkpoints; name the first bad entry. Exit status 0 when all is well, 1 when
not. Prints positions, ids and reasons only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hisho.audit.verify import verify_log


class Command(BaseCommand):
    help = "Verify the audit log's Merkle tree and signed heads; name the first bad entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="List every problem found (up to 50), not one."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_log()
        first = report.first_bad
        if first is None:
            self.stdout.write(
                f"OK: {report.entries} entries, {report.heads} signed tree heads, "
                f"{report.checkpoints} chain checkpoints verified; "
                f"{report.pending} entries not yet integrated."
            )
            return
        if options["all"]:
            for problem in report.problems:
                self.stderr.write(f"  {problem}")
        raise CommandError(
            f"Audit log verification FAILED ({len(report.problems)} problem(s) in "
            f"{report.entries} entries). First bad: {first}",
            returncode=1,
        )
