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
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
