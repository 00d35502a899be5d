"""`hisho audit-verify-proof FILE`: check, offline, an inclusion-proof bundle downloaded
from "Who saw my data" (`GET /api/v1/me/access-log/{leaf_index}/proof`): the entry is
the leaf, the leaf is in the tree, and the tree's head is signed. Exit 0 when it
verifies, 1 when not. Needs no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hisho.audit.note import NoteError, parse_vkey
from hisho.audit.proofs import BundleError, verify_bundle


class Command(BaseCommand):
    help = "Verify an audit inclusion-proof bundle offline."
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's own attribute

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--key",
            action="append",
            default=[],
            help="the log's verifier key as you know it (else the bundle's own is used)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            bundle = json.loads(Path(options["file"]).read_text())
            trusted = [parse_vkey(k) for k in options["key"]] or None
            verified = verify_bundle(bundle, trusted)
        except (OSError, ValueError, BundleError, NoteError) as exc:
            raise CommandError(f"FAILED: {exc}", returncode=1) from None
        self.stdout.write(
            f"OK: entry {verified.entry.get('event')!s} at {verified.entry.get('at')!s} is leaf "
            f"{verified.leaf_index} of the {verified.tree_size}-entry tree signed by "
            f"{verified.origin}."
        )
        if not options["key"]:
            self.stdout.write(
                "The signature was checked with the key in the file: compare it with the "
                "site's published key (or a witness's) to trust it."
            )
