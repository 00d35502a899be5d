"""Running a script against a database of its own, the way an operator's older database
meets new migrations: a fresh SQLite file, its own var directory, none of this test run's
HISHO_* settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_on_own_sqlite(
    script: str, database: Path, var_dir: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DATABASE_URL"))}
    env.update(
        HISHO_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="hisho.settings",
    )
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
