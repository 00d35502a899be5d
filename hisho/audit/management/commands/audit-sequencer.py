"""`hisho audit-sequencer`: run the audit log's sequencer in the foreground (every job
worker already runs one; this is for a dedicated process, or to watch it work)."""

from __future__ import annotations

import logging
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hisho.audit.sequencer import DEFAULT_INTERVAL, Sequencer, interval_argument


class Command(BaseCommand):
    help = "Fold committed audit entries into the Merkle tree and sign tree heads, until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=interval_argument,
            default=DEFAULT_INTERVAL,
            help="Seconds between rounds, 0.01 to 3600 (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("hisho.audit.sequencer").setLevel(logging.INFO)
        sequencer = Sequencer(interval=options["interval"])
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: sequencer.stop())
        sequencer.run()
