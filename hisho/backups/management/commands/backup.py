"""`hisho backup [PATH]`: an encrypted, signed backup of the database (docs/operations.md,
"Backups and restores"); prints its path. `--schedule` starts the scheduled backups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hisho.backups.service import BadTarget, take_backup


class Command(BaseCommand):
    help = (
        "Write an encrypted, signed backup of the database to PATH (default: the folder "
        "HISHO_BACKUP_DIR, else $HISHO_VAR_DIR/backups/)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="a file to create, or a directory")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="instead, queue the scheduled backup job if none is pending (takes no PATH)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            if options["path"]:
                raise CommandError(
                    "--schedule takes no PATH: scheduled backups go to HISHO_BACKUP_DIR."
                )
            from hisho.backups.tasks import ensure_backups_scheduled

            queued = ensure_backups_scheduled()
            self.stdout.write("Scheduled backups queued." if queued else "Already queued.")
            return
        try:
            result = take_backup(Path(options["path"]) if options["path"] else None)
        except BadTarget as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(result.path))
