"""Several OS processes appending at once while a sequencer folds their entries into the
tree (SQLite file or PostgreSQL): every entry ends in exactly one leaf, the tree
verifies, every proof verifies. And on PostgreSQL: one sequencer leads at a time, and
another takes over when it dies.

The test builds a database of its own (a SQLite file in a temporary directory, or a
PostgreSQL database named after the test database), migrates it, starts writer
processes that wait at a starting line and then each append N events — some alone, some
two in one transaction, each also naming a person whose pseudonym they race to create —
runs `hisho audit-sequencer` meanwhile, and checks the result with `hisho audit-verify`
and the proofs.
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

CHECK = """
import base64, json, os, random
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hisho.settings")
django.setup()
from hisho.audit import chain, merkle
from hisho.audit.models import AuditEvent, AuditTreeHead
from hisho.audit.tree import consistency_proof, inclusion_proof, verifiers
from hisho.audit.note import open_checkpoint

heads = list(AuditTreeHead.objects.order_by("size"))
checkpoints = [open_checkpoint(h.note, verifiers()) for h in heads]
last = checkpoints[-1]
entries = list(AuditEvent.objects.order_by("leaf_index"))
bad = 0
for entry in random.Random(7).sample(entries, min(60, len(entries))):
    proof = inclusion_proof(entry.leaf_index, last.size)
    leaf = merkle.leaf_hash(chain.leaf_data(entry))
    bad += not merkle.verify_inclusion(entry.leaf_index, last.size, leaf, proof.hashes, last.root)
for old, new in zip(checkpoints, checkpoints[1:]):
    hashes = consistency_proof(old.size, new.size)
    bad += not merkle.verify_consistency(old.size, new.size, old.root, new.root, hashes)
print(json.dumps({"heads": len(heads), "bad_proofs": bad, "rows": [
    [e.leaf_index, e.event, e.extra] for e in entries]}))
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


WRITERS = 3


def test_processes_writing_at_once_while_the_sequencer_runs(
    own_database: dict[str, str], tmp_path: Path
) -> None:
    env = own_database
    migrated = run(["-m", "hisho", "migrate", "--no-input", "-v", "0"], env)
    assert migrated.returncode == 0, migrated.stderr
    go = tmp_path / "go"
    sequencer = subprocess.Popen(
        [sys.executable, "-m", "hisho", "audit-sequencer", "--interval", "0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, str(worker), str(go), str(N)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(1, WRITERS + 1)
    ]
    try:
        assert sequencer.stderr is not None
        while "leading" not in sequencer.stderr.readline():  # it is up and leads
            assert sequencer.poll() is None
        time.sleep(2.0)  # the writers have set Django up and wait at the line
        go.touch()
        for process in workers:
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
        total = WRITERS * (N + N // 10) + 1  # and the signing key's creation
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the sequencer catches up by itself
            verified = run(["-m", "hisho", "audit-verify"], env)
            if f"OK: {total} entries" in verified.stdout:
                break
            time.sleep(0.5)
    finally:
        sequencer.terminate()
        _, seq_err = sequencer.communicate(timeout=30)
    assert verified.returncode == 0, verified.stderr
    assert f"OK: {total} entries" in verified.stdout, (verified.stdout, seq_err[-2000:])
    assert "0 entries not yet integrated" in verified.stdout

    checked = run(["-c", CHECK], env)
    assert checked.returncode == 0, checked.stderr
    result = json.loads(checked.stdout)
    # Every entry in exactly one leaf, leaves without gaps.
    assert [row[0] for row in result["rows"]] == list(range(total))
    rows = [row for row in result["rows"] if row[1].startswith("test.")]
    assert result["bad_proofs"] == 0
    # The sequencer signed heads while the writers wrote (batches, not one at the end).
    assert result["heads"] >= 3, (result["heads"], seq_err[-3000:])
    order = [row[2]["worker"] for row in rows]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches >= 5, f"the writers did not interleave ({switches} switches)"
    # Each writer's pair written in one transaction: both present, the pair's first half
    # before its second (they share the transaction's commit, so one batch).
    where = {(r[1], r[2]["worker"], r[2]["i"]): r[0] for r in rows}
    for (event, worker, i), index in where.items():
        if event == "test.concurrent_pair":
            assert where[("test.concurrent", worker, i)] < index


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL")
def test_one_sequencer_leads_and_another_takes_over_when_it_dies(
    own_database: dict[str, str], tmp_path: Path
) -> None:
    import psycopg

    env = own_database
    migrated = run(["-m", "hisho", "migrate", "--no-input", "-v", "0"], env)
    assert migrated.returncode == 0, migrated.stderr
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    settings = connection.settings_dict

    def leader_pids() -> list[int]:
        with psycopg.connect(
            dbname=name,
            host=settings.get("HOST") or "127.0.0.1",
            port=str(settings.get("PORT") or 5432),
            user=settings.get("USER") or "postgres",
            autocommit=True,
        ) as db:
            rows = db.execute(
                "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
                " AND l.classid = %s AND l.objid = %s",
                [0x61756474, 2],
            ).fetchall()
            return [row[0] for row in rows]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "hisho", "audit-sequencer", "--interval", "0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def write_and_wait(count: int, expected_total: int) -> float:
        started = time.monotonic()
        done = run(["-c", WORKER, "9", str(tmp_path), str(count)], env)
        assert done.returncode == 0, done.stderr
        while time.monotonic() - started < 40:
            verified = run(["-m", "hisho", "audit-verify"], env)
            if f"OK: {expected_total} entries" in verified.stdout:
                return time.monotonic() - started
            time.sleep(0.3)
        raise AssertionError(verified.stdout + verified.stderr)

    first, second = start(), start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(leader_pids()) != 1:
            time.sleep(0.2)
        assert len(leader_pids()) == 1  # exactly one leads
        write_and_wait(10, 12)  # and the signing key's creation
        first.kill()  # the leader, or the one waiting: kill the first, then see
        first.wait(timeout=10)
        second_was_leader = len(leader_pids()) == 1
        if not second_was_leader:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(leader_pids()) != 1:
                time.sleep(0.1)
        assert len(leader_pids()) == 1  # the survivor leads
        write_and_wait(10, 23)
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
