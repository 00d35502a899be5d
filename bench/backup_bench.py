"""What backups and restores cost: 10,000 customers with 100,000 messages, and 1,000
erasures re-applied after a restore.

    .venv/bin/python bench/backup_bench.py [--database-url URL] [--customers N]
        [--messages-per-customer M] [--erasures E]

Runs on a scratch database (as bench/vault_bench.py: a temporary SQLite file, or the
empty PostgreSQL database --database-url names; the restore goes into `<name>_restore`,
made and dropped here), with its own keyring and erasure ledger:

1. seeds N customers, one errand each, M messages per errand (~300-byte bodies), sealed
   by the vault's own code (`seal_errand_value`, `seal_message_body`: a customer key and
   a data key per customer, AES-256-GCM per value) and inserted in bulk;
2. `take_backup()`: time and size (database, dump, backup file);
3. erases E customers through the erasure action (after the backup: the ledger now holds
   E entries the backup does not);
4. `hisho restore` in a process of its own into an empty database: the time to verify,
   decrypt, load and migrate, and the time to re-apply the E erasures.

Prints a markdown table (docs/performance.md, "Backups and restores").
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from vault_bench import setup  # noqa: E402 - the same scratch database and demo

BODY = (
    "The second restaurant can seat you at 19:30 near the entrance; they have three "
    "vegetarian courses, the staff speak some English, and they take cards. "
) * 2


def seed(customers: int, per_customer: int) -> float:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from hisho.accounts.models import Role, User
    from hisho.desk.content import seal_errand_value, seal_message_body
    from hisho.desk.models import Errand, Message

    start = time.perf_counter()
    batch = 500
    unusable = make_password(None)  # nobody signs in as these customers
    for first in range(0, customers, batch):
        with transaction.atomic():
            people = User.objects.bulk_create(
                [
                    User(email=f"bench{n}@example.com", role=Role.CUSTOMER, password=unusable)
                    for n in range(first, min(customers, first + batch))
                ]
            )
            errands, messages = [], []
            for person in people:
                errand_id = uuid.uuid4()
                errand = Errand(
                    id=errand_id,
                    customer=person,
                    sealed_title=seal_errand_value(person, errand_id, "title", "Dinner for 4"),
                    sealed_details=seal_errand_value(
                        person, errand_id, "details", "Friday, vegetarian, step-free"
                    ),
                )
                errands.append(errand)
                for _ in range(per_customer):
                    seal_id = uuid.uuid4()
                    messages.append(
                        Message(
                            errand=errand,
                            seal_id=seal_id,
                            author=person,
                            sealed_body=seal_message_body(errand, seal_id, BODY),
                        )
                    )
            Errand.objects.bulk_create(errands)
            Message.objects.bulk_create(messages, batch_size=2000)
    return time.perf_counter() - start


def database_size() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return Path(connection.settings_dict["NAME"]).stat().st_size
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


def restore_target(database_url: str | None, scratch: Path) -> str:
    if not database_url:
        return f"sqlite:///{scratch / 'restored.sqlite3'}"
    import psycopg

    base, name = database_url.rsplit("/", 1)
    target = f"{name}_restore"
    with psycopg.connect(
        f"{base}/postgres".replace("postgres://", "postgresql://"), autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{target}"')
    return f"{base}/{target}"


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(
        f"{base}/postgres".replace("postgres://", "postgresql://"), autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--messages-per-customer", type=int, default=10)
    parser.add_argument("--erasures", type=int, default=1_000)
    args = parser.parse_args()
    scratch, _demo = setup(args.database_url)

    from django.db import connection

    from hisho.accounts.models import User
    from hisho.backups.service import take_backup
    from hisho.privacy.actions.erasure import do_erase_account

    vendor = connection.vendor
    seeded = seed(args.customers, args.messages_per_customer)
    size = database_size()

    start = time.perf_counter()
    result = take_backup(scratch / "bench.backup")
    backup_seconds = time.perf_counter() - start

    people = list(User.objects.filter(email__startswith="bench").order_by("pk")[: args.erasures])
    start = time.perf_counter()
    for person in people:
        do_erase_account(actor=person)
    erase_seconds = time.perf_counter() - start

    target = restore_target(args.database_url, scratch)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = target
    start = time.perf_counter()
    restored = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "hisho", "restore", str(result.path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    restore_wall = time.perf_counter() - start
    drop(target)
    if restored.returncode != 0:
        print(restored.stderr[-3000:], file=sys.stderr)
        return 1
    found = re.search(r"Restored in ([\d.]+) s, erasures re-applied in ([\d.]+) s", restored.stdout)
    assert found is not None, restored.stdout
    load_seconds, reapply_seconds = (float(x) for x in found.groups())
    reapplied = re.search(r"re-applied (\d+) erasure", restored.stdout)
    assert reapplied is not None and int(reapplied.group(1)) == len(people), restored.stdout

    print(
        f"Backups and restores — {vendor}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{args.customers:,} customers, {args.customers * args.messages_per_customer:,} "
        f"messages (seeded in {seeded:.0f} s)\n"
    )
    rows: list[tuple[str, Any]] = [
        ("database size", mib(size)),
        ("dump (before compression and encryption)", mib(result.payload_bytes)),
        ("backup file (compressed, encrypted, signed)", mib(result.size)),
        ("`hisho backup` (take_backup)", f"{backup_seconds:.1f} s"),
        ("`hisho restore`: verify, decrypt, load, migrate", f"{load_seconds:.1f} s"),
        (f"`hisho restore`: re-apply {len(people):,} erasures", f"{reapply_seconds:.1f} s"),
        ("`hisho restore`, whole process (wall clock)", f"{restore_wall:.1f} s"),
        (f"for comparison: the {len(people):,} erasures themselves", f"{erase_seconds:.1f} s"),
    ]
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
