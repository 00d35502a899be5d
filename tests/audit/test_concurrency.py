"""Two OS processes appending at once keep one valid chain (SQLite file or PostgreSQL).

The test builds a database of its own (a SQLite file in a temporary directory, or a
PostgreSQL database named after the test database), migrates it, starts two worker
processes that wait at a starting line and then each append N events — some alone, some
two in one transaction, each also naming a person whose pseudonym both race to create —
and runs `hisho audit-verify` on the result.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

N = 120

WORKER = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hisho.settings")
django.setup()
from django.db import transaction
from hisho.audit.actions import record_event

worker, go = int(sys.argv[1]), sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.005)
for i in range(int(sys.argv[3])):
    shared = {"worker": worker, "i": i, "person_id": 1000 + i % 3}
    if i % 10 == 0:
        with transaction.atomic():
            record_event("test.concurrent", actor=None, extra=shared)
            time.sleep(0.002)  # the other process waits for the chain meanwhile
            record_event("test.concurrent_pair", actor=None, extra={"worker": worker, "i": i})
    else:
        record_event("test.concurrent", actor=None, extra=shared)
    # Other work between writes; without it SQLite's busy handler lets one writer take
    # every turn, and the two would not interleave.
    time.sleep(0.003)
"""

DUMP = """
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hisho.settings")
django.setup()
from hisho.audit.models import AuditEvent
print(json.dumps(list(AuditEvent.objects.order_by("seq").values_list("seq", "event", "extra"))))
"""


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for subprocesses pointing at a fresh database of this test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DATABASE_"))}
    env["HISHO_VAR_DIR"] = str(tmp_path / "var")  # its own keyring and secret key
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path.cwd()), env.get("PYTHONPATH")]))
    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        name = f"{settings['NAME']}_concurrency"
        dsn = {
            "host": settings.get("HOST") or "127.0.0.1",
            "port": str(settings.get("PORT") or 5432),
            "user": settings.get("USER") or "postgres",
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as admin:  # type: ignore[arg-type]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"postgres://{dsn['user']}@{dsn['host']}:{dsn['port']}/{name}"
        try:
            yield env
        finally:
            with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as admin:  # type: ignore[arg-type]
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
        yield env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_two_processes_writing_at_once_keep_the_chain_valid(
    own_database: dict[str, str], tmp_path: Path
) -> None:
    env = own_database
    migrated = run(["-m", "hisho", "migrate", "--no-input", "-v", "0"], env)
    assert migrated.returncode == 0, migrated.stderr
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, str(worker), str(go), str(N)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in (1, 2)
    ]
    time.sleep(2.0)  # both have set Django up and wait at the line
    go.touch()
    for process in workers:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err

    verified = run(["-m", "hisho", "audit-verify"], env)
    assert verified.returncode == 0, verified.stderr
    assert f"OK: {2 * (N + N // 10)} entries" in verified.stdout

    dumped = run(["-c", DUMP], env)
    assert dumped.returncode == 0, dumped.stderr
    rows = json.loads(dumped.stdout)
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    order = [row[2]["worker"] for row in rows]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    # The writers really did overlap (not one after the other)...
    assert switches >= 5, f"the two writers did not interleave ({switches} switches)"
    # ...and each one's pair written in one transaction stayed together.
    for index, (_, event, extra) in enumerate(rows):
        if event == "test.concurrent_pair":
            assert rows[index - 1][2] == {
                "worker": extra["worker"],
                "i": extra["i"],
                "person_id": 1000 + extra["i"] % 3,
            }
