"""`hisho restore PATH`: restore a backup into the configured, empty database, then
re-apply every erasure the erasure ledger recorded after it (docs/operations.md).

Exits non-zero, having changed nothing, on a bad signature, a newer schema, a damaged
or missing ledger (`--no-erasure-ledger` when there never was one) or a non-empty
database. System checks are not run first: they would open (and so create) the database
this command must find empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hisho.backups.service import BadBackup, RestoreRefused, restore_backup
from hisho.vault.keyring import KeyringError


class Command(BaseCommand):
    help = "Restore a backup into the configured empty database and re-apply erasures."
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's attribute

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--no-erasure-ledger",
            action="store_true",
            help="restore although there is no erasure ledger file: only for an installation "
            "that never erased anyone (HISHO_ERASURE_LEDGER_FILE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            result = restore_backup(path, without_ledger=options["no_erasure_ledger"])
        except BadBackup as exc:
            raise CommandError(f"Refused: the backup does not verify: {exc}.") from None
        except (RestoreRefused, KeyringError) as exc:
            raise CommandError(f"Refused: {exc}.") from None
        manifest = result.manifest
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} (audit tree size "
            f"{manifest['audit']['tree_size']}); re-applied {result.erasures_reapplied} "
            f"erasure(s) recorded after it ({result.erasures_absent} of accounts made later). "
            f"Restored in {result.load_seconds:.1f} s, erasures re-applied in "
            f"{result.reapply_seconds:.1f} s."
        )
