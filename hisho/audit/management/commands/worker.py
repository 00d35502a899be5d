"""`hisho worker`: Hisho's job worker — django-tasks' database worker (`db_worker`, whose
options it takes), with the audit log's sequencer running beside it in a thread
(hisho.audit.sequencer).

Every job worker is a sequencer candidate: in the embedded shape the one worker that
`make serve` starts beside the server sequences; in the scaled shape the workers elect
one with a PostgreSQL advisory lock and another takes over when it dies. A command of
its own name, not an override of `db_worker`, so it does not depend on the order of
INSTALLED_APPS. No sequencer with `--batch`; `--no-audit-sequencer` leaves it out.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from hisho.audit.sequencer import DEFAULT_INTERVAL, interval_argument, start_in_thread


class Command(DatabaseWorkerCommand):
    help = "Run a database background worker and the audit log's sequencer."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-audit-sequencer",
            action="store_false",
            dest="audit_sequencer",
            help="Do not run the audit log's sequencer in this worker.",
        )
        parser.add_argument(
            "--audit-interval",
            type=interval_argument,
            default=DEFAULT_INTERVAL,
            help="Seconds between the sequencer's rounds, 0.01 to 3600 (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sequencer_wanted = options.pop("audit_sequencer", True)
        interval = options.pop("audit_interval", DEFAULT_INTERVAL)
        # With --reload the parent process only watches files: the child sequences. A
        # --batch run (run what is due, then exit) is no long-lived worker: no sequencer.
        reloading = options.get("reload") and not options.get("batch")
        if (
            sequencer_wanted
            and not options.get("batch")
            and (not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true")
        ):
            start_in_thread(interval=interval)
        super().handle(*args, **options)
