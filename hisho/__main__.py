"""The `hisho` command: Django's manage.py, installed as a console script.

`hisho dlp-scan` is answered without starting Django: the detector is pure Python
and the command is used in pipelines where start-up time matters.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "dlp-scan":
        from hisho.dlp.cli import main as dlp_scan

        return dlp_scan(argv[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hisho.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    # What an operator gets wrong before any command can run — a setting or the master
    # keyring (KeyringError is an ImproperlyConfigured), the database not migrated or not
    # reachable — is one line saying so, not a traceback around it.
    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        print(f"hisho: {exc}", file=sys.stderr)
        return 1
    except (OperationalError, ProgrammingError) as exc:
        # The first line only: PostgreSQL's next lines quote the statement, values and all.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(
            f"hisho: the database is not ready ({reason}). Run `hisho migrate`, or check "
            "DATABASE_URL.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
