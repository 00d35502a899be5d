"""The audit log at scale: `hisho audit-verify` over a large tree, and proofs served.

    .venv/bin/python bench/audit_bench.py [--entries 1000000] [--database-url URL]

Makes a scratch database (a SQLite file, or --database-url naming an empty PostgreSQL
database) with its own keyring, appends `--entries` audit entries (bulk inserted with
the leaf hash `record_event` computes; one in ten names a person, so the commitment
check runs), lets the sequencer integrate them in batches of 5,000 (one signed head
each), then times:

1. appending: `record_event` alone, median of 2,000 calls (the write path);
2. integrating: the sequencer's throughput (entries per second, batches of 5,000);
3. `verify_log()` (what `hisho audit-verify` runs) over the whole tree;
4. `GET /api/v1/audit/proof/inclusion` and `/proof/consistency` through Django's full
   stack in-process (test client): median and p99 of 300 random requests each.

Prints a markdown table (docs/performance.md, "Audit log").
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(database_url: str | None, var_dir: Path | None) -> Path:
    scratch = var_dir or Path(tempfile.mkdtemp(prefix="hisho-audit-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    for name in list(os.environ):
        if name.startswith(("HISHO_", "DATABASE_")):
            del os.environ[name]
    os.environ["HISHO_VAR_DIR"] = str(scratch)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hisho.settings"
    os.environ["HISHO_LOG_LEVEL"] = "WARNING"
    os.environ["HISHO_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return scratch


def fill(entries: int) -> float:
    """Bulk-insert `entries` entries as record_event would write them; seconds taken.

    On PostgreSQL the rows and their leaf hashes are made by the database itself (one
    INSERT … SELECT per 100,000 entries: the canonical JSON document written out with
    format(), SHA-256 by the server), so a million entries take seconds, not the quarter
    of an hour Python takes to make them one by one; the verifier then re-derives every
    hash in Python, so a wrong document here fails the run. Elsewhere, Python."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return fill_in_sql(entries)
    return fill_in_python(entries)


PEOPLE = 100


def fill_in_sql(entries: int) -> float:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from hisho.audit.models import AuditEvent
    from hisho.audit.subjects import refs_for

    refs = refs_for(list(range(1, PEOPLE + 1)))
    ref_array = [refs[p] for p in range(1, PEOPLE + 1)]
    start = timezone.now() - dt.timedelta(days=30)
    table = AuditEvent._meta.db_table
    # The document of chain.hashed_document (version 3), canonical (keys sorted, no spaces): the
    # entry n names person (n mod 100) + 1 as its actor when n is a multiple of 10.
    sql = f"""
        INSERT INTO {table} (version, at, event, actor_id, actor_ref, target_type,
                             target_id, target_ref, extra, extra_refs, prev_hash, salt,
                             leaf_hash)
        SELECT 3, r.at, 'bench.filled', r.person, coalesce(r.ref, ''), 'desk.errand',
               r.target, '', jsonb_build_object('n', r.n, 'kind', 'bench'), '{{}}'::jsonb, '',
               r.salt,
               encode(sha256('\\x00'::bytea || convert_to(format(
                 '{{"actor":%%s,"at":"%%s+00:00","event":"bench.filled",'
                 '"extra":{{"kind":"bench","n":%%s}},"salt":"%%s","target":"%%s",'
                 '"target_type":"desk.errand","v":3}}',
                 coalesce('"' || r.ref || '"', 'null'),
                 to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                 r.n, r.salt, r.target), 'UTF8')), 'hex')
        FROM (
          -- md5 of random(): 32 lowercase hex digits, the salt's shape (a bench needs no
          -- cryptographic randomness, only the verifier's real work)
          SELECT n, %s::timestamptz + n * interval '1 microsecond' AS at,
                 md5(random()::text) AS salt,
                 lpad(n::text, 8, '0') AS target,
                 CASE WHEN n %% 10 = 0 THEN n %% {PEOPLE} + 1 END AS person,
                 CASE WHEN n %% 10 = 0 THEN (%s::text[])[n %% {PEOPLE} + 1] END AS ref
          FROM generate_series(%s::bigint, %s::bigint) AS n
        ) AS r ORDER BY r.n
    """  # noqa: S608 - fixed names
    started = time.perf_counter()
    for low in range(0, entries, 100_000):
        high = min(entries, low + 100_000) - 1
        with connection.cursor() as cursor:
            cursor.execute(sql, [start, ref_array, low, high])
    return time.perf_counter() - started


def fill_in_python(entries: int) -> float:
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from hisho.audit import chain
    from hisho.audit.models import AuditEvent
    from hisho.audit.subjects import refs_for

    people = list(range(1, PEOPLE + 1))
    refs = refs_for(people)
    started = time.perf_counter()
    now = timezone.now() - dt.timedelta(days=30)
    batch: list[AuditEvent] = []
    for n in range(entries):
        person = people[n % 100] if n % 10 == 0 else None
        entry = AuditEvent(
            version=chain.SALTED_VERSION,
            salt=chain.new_salt(),
            at=now + dt.timedelta(microseconds=n),
            event="bench.filled",
            actor_id=person,
            actor_ref=refs[person] if person is not None else "",
            target_type="desk.errand",
            target_id=f"{n:08d}",
            extra={"n": n, "kind": "bench"},
            extra_refs={},
        )
        entry.leaf_hash = chain.leaf_hash(entry)
        batch.append(entry)
        if len(batch) == 5000:
            with transaction.atomic():
                AuditEvent.objects.bulk_create(batch)
            batch = []
    if batch:
        AuditEvent.objects.bulk_create(batch)
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="the database already holds an integrated log (an earlier run's, kept): "
        "time only the verifier and the proofs (with that run's --var-dir)",
    )
    parser.add_argument(
        "--var-dir",
        type=Path,
        help="keep the keys here (default: a temporary directory, removed): the log's "
        "signing and audit keys live there, and --existing verifies only with them",
    )
    args = parser.parse_args(argv)
    if args.existing and args.var_dir is None:
        parser.error("--existing needs the --var-dir of the run that filled the database")
    scratch = setup(args.database_url, args.var_dir)
    try:
        from django.db import connection
        from django.test import Client

        from hisho.audit.actions import record_event
        from hisho.audit.models import AuditTreeHead
        from hisho.audit.tree import integrate_pending
        from hisho.audit.verify import verify_log

        result: dict[str, Any] = {"vendor": connection.vendor, "entries": args.entries}
        if not args.existing:
            result["fill_s"] = fill(args.entries)
            print(f"filled {args.entries} in {result['fill_s']:.1f} s", file=sys.stderr)

            started = time.perf_counter()
            heads = 0
            while integrate_pending(limit=5000) is not None:
                heads += 1
            result["integrate_s"] = time.perf_counter() - started
            print(f"integrated in {result['integrate_s']:.1f} s", file=sys.stderr)

            appends = []
            for n in range(2000):
                t = time.perf_counter()
                record_event("bench.append", actor=None, extra={"n": n})
                appends.append((time.perf_counter() - t) * 1000)
            result["append_ms"] = statistics.median(appends)
            while integrate_pending(limit=5000) is not None:
                pass
        result["heads"] = AuditTreeHead.objects.count()

        # Wall time, and this process's CPU time: on a shared machine the first depends
        # on the neighbours, the second (plus PostgreSQL's share) is the verifier's cost.
        started, cpu = time.perf_counter(), time.process_time()
        report = verify_log()
        result["verify_s"] = time.perf_counter() - started
        result["verify_cpu_s"] = time.process_time() - cpu
        result["verify_ok"] = report.ok
        result["verified_entries"] = report.entries
        print(f"verified in {result['verify_s']:.1f} s ok={report.ok}", file=sys.stderr)

        size = report.size
        client = Client()
        rng = random.Random(15)
        inclusion, consistency = [], []
        sizes = list(AuditTreeHead.objects.values_list("size", flat=True))
        for _ in range(300):
            index = rng.randrange(size)
            t = time.perf_counter()
            response = client.get(f"/api/v1/audit/proof/inclusion?index={index}&size={size}")
            inclusion.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, response.content
            old = rng.choice(sizes[:-1])
            t = time.perf_counter()
            response = client.get(f"/api/v1/audit/proof/consistency?from={old}&to={size}")
            consistency.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, response.content
        result["inclusion_ms"] = (statistics.median(inclusion), percentile(inclusion, 99))
        result["consistency_ms"] = (statistics.median(consistency), percentile(consistency, 99))
    finally:
        if args.var_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"database {result['vendor']}.\n"
    )
    print("| measure | figure |\n|---|---:|")
    print(f"| entries in the tree | {result['verified_entries']:,} ({result['heads']} heads) |")
    if "append_ms" in result:
        print(f"| `record_event` (the append), median | {result['append_ms']:.3f} ms |")
        print(
            f"| sequencer: integrate and sign | {args.entries / result['integrate_s']:,.0f} "
            "entries/s |"
        )
    print(
        f"| `verify_log` (`hisho audit-verify`), wall / CPU of the process "
        f"| {result['verify_s']:.1f} s / {result['verify_cpu_s']:.1f} s |"
    )
    print(
        f"| inclusion proof served, p50 / p99 | {result['inclusion_ms'][0]:.2f} / "
        f"{result['inclusion_ms'][1]:.2f} ms |"
    )
    print(
        f"| consistency proof served, p50 / p99 | {result['consistency_ms'][0]:.2f} / "
        f"{result['consistency_ms'][1]:.2f} ms |"
    )
    return 0 if result["verify_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
