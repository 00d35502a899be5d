"""`hisho audit-witness URL`: fetch the audit log's latest signed tree head from the Hisho
site at URL, check its signature and that it extends the last head this witness
accepted (a consistency proof), and remember it. Exit 0 when accepted, 1 when rejected.
Run it from another machine, periodically (docs/audit.md §6)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hisho.audit.note import NoteError
from hisho.audit.witness import Rejected, Witness


class Command(BaseCommand):
    help = "Check the audit log's latest signed tree head against the last one seen."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the Hisho site, e.g. https://hisho.example")
        parser.add_argument("--state", help="state file (default: var/audit-witness/<host>.json)")
        parser.add_argument(
            "--key", action="append", default=[], help="a verifier key (<name>+<hash>+<key>)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["url"].rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError("URL must be http(s)://host[:port]")
        state = Path(
            options["state"]
            or Path("var") / "audit-witness" / f"{parts.netloc.replace(':', '_')}.json"
        )

        def fetch(path: str) -> tuple[int, bytes]:
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310 - http(s) only, checked above
                    return int(response.status), response.read()
            except urllib.error.HTTPError as exc:
                return int(exc.code), b""

        try:
            outcome = Witness(state, fetch, options["key"]).observe()
        except (Rejected, NoteError) as exc:
            raise CommandError(f"REJECTED: {exc}", returncode=1) from None
        if outcome.pinned_keys:
            self.stdout.write(
                f"First use: pinned {outcome.pinned_keys} signing key(s) from the site; "
                f"compare them out of band (state: {state})."
            )
        if outcome.previous is None:
            self.stdout.write(f"OK: first signed tree head, {outcome.size} entries.")
        else:
            self.stdout.write(
                f"OK: {outcome.size} entries, consistent with the {outcome.previous} seen before."
            )
