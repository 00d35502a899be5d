"""Consistent dumps of the configured database, and loading one into an empty database.

- SQLite (embedded): the SQLite online backup API copies the live file from a read
  transaction of its own (writers go on; WAL readers never block), then the copy is
  VACUUMed so no deleted row lingers in its free pages.
- PostgreSQL (scaled): `pg_dump --format=custom` run on a snapshot exported by a
  REPEATABLE READ transaction, which also reads the manifest: the dump and its manifest
  describe the same instant. Loading is `pg_restore --single-transaction`, so a failure
  leaves the database as empty as it was.

Both read the manifest's facts (applied migrations, the latest signed audit tree head,
the erasure ledger position) from the snapshot itself.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from django.db import connections

PG_TOOLS_TIMEOUT = 6 * 3600


class RestoreRefused(Exception):
    """The target database is not one a backup may be restored into."""


class DatabaseUnavailable(Exception):
    """The configured PostgreSQL database cannot be reached, or its client tools are not
    installed: an operator's setting to fix, said in one line (the server's first line,
    which names the host and database, never a row)."""


def _settings(alias: str = "default") -> dict[str, Any]:
    return dict(connections[alias].settings_dict)


def vendor(alias: str = "default") -> str:
    return str(connections[alias].vendor)


def _facts(cursor: Any) -> dict[str, Any]:
    """What the manifest says about the database, read through a DB-API cursor."""
    from hisho.audit.models import AuditTreeHead
    from hisho.backups.models import AppliedErasure

    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = [[str(app), str(name)] for app, name in cursor.fetchall()]
    heads = AuditTreeHead._meta.db_table
    cursor.execute(f"SELECT size, root_hash FROM {heads} ORDER BY size DESC LIMIT 1")  # noqa: S608
    head = cursor.fetchone()
    applied = AppliedErasure._meta.db_table
    cursor.execute(f"SELECT COUNT(*), MAX(seq) FROM {applied}")  # noqa: S608
    count, top = cursor.fetchone()
    return {
        "schema": {"migrations": migrations},
        "audit": {
            "tree_size": int(head[0]) if head else 0,
            "root_hash": str(head[1]) if head else None,
        },
        "erasure_ledger": {"applied": int(count), "last_seq": int(top) if top else 0},
    }


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(alias: str = "default") -> Path:
    return Path(str(_settings(alias)["NAME"]))


def _dump_sqlite(out: Path) -> dict[str, Any]:
    source = sqlite3.connect(f"file:{_sqlite_path()}?mode=ro", uri=True, timeout=20)
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # all pages in one step: one consistent read transaction
    finally:
        source.close()
    try:
        target.execute("PRAGMA journal_mode=DELETE")
        target.execute("VACUUM")
        return _facts(target.cursor())
    finally:
        target.close()


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists():
        return True
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        (tables,) = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    return int(tables) == 0


def _load_sqlite(dump: Path) -> None:
    target = _sqlite_path()
    with closing(sqlite3.connect(f"file:{dump}?mode=ro", uri=True)) as db:
        (verdict,) = db.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise RestoreRefused("the backup's database file is damaged")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(dump, staged)
    os.chmod(staged, 0o600)
    if target.exists():  # an empty file (checked): replace it, and its stale journals
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staged, target)
    else:
        try:
            os.link(staged, target)  # fails if the database appeared meanwhile
        finally:
            staged.unlink(missing_ok=True)


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_environment() -> dict[str, str]:
    s = _settings()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for name, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if s.get(key):
            env[name] = str(s[key])
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    env["PGDATABASE"] = str(s["NAME"])
    return env


def _pg_connect(**options: Any) -> Any:
    import psycopg

    s = _settings()
    try:
        return psycopg.connect(
            dbname=s["NAME"],
            user=s.get("USER") or None,
            password=s.get("PASSWORD") or None,
            host=s.get("HOST") or None,
            port=str(s.get("PORT") or "") or None,
            application_name="hisho-backup",
            **options,
        )
    except psycopg.OperationalError as exc:
        # `hisho restore` runs no system check first, so a mistyped or not yet created
        # database is met here: a message, not a traceback.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailable(f"cannot connect to the database ({reason})") from None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DatabaseUnavailable(f"{name} is not installed (PostgreSQL client tools)")
    return found


def _dump_postgresql(out: Path) -> dict[str, Any]:
    with _pg_connect() as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        (snapshot,) = conn.execute("SELECT pg_export_snapshot()").fetchone()
        facts = _facts(conn.cursor())
        subprocess.run(  # noqa: S603 - our arguments, no shell
            [_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={out}"],
            env=_pg_environment(),
            check=True,
            capture_output=True,
            timeout=PG_TOOLS_TIMEOUT,
        )
        conn.rollback()
    return facts


def _pg_is_empty() -> bool:
    with _pg_connect(autocommit=True) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        ).fetchone()
    return int(count) == 0


def _load_postgresql(dump: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our arguments, no shell
        [
            _tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={_settings()['NAME']}",
            str(dump),
        ],
        env=_pg_environment(),
        check=False,
        capture_output=True,
        timeout=PG_TOOLS_TIMEOUT,
    )
    if result.returncode != 0:
        raise RestoreRefused("pg_restore failed; the database was left as it was")


# --- the front door ---------------------------------------------------------------------------


def dump(out: Path) -> dict[str, Any]:
    """Dump the configured database to `out`; the manifest's facts about it."""
    if vendor() == "sqlite":
        return _dump_sqlite(out)
    if vendor() == "postgresql":
        return _dump_postgresql(out)
    raise RuntimeError(f"backups of {vendor()} databases are not supported")


def is_empty() -> bool:
    """No table at all in the configured database (or no SQLite file yet)."""
    connections.close_all()
    if vendor() == "sqlite":
        return _sqlite_is_empty(_sqlite_path())
    return _pg_is_empty()


def load(dump_file: Path) -> None:
    """Load a dump into the configured, empty database (checked again just before)."""
    if not is_empty():
        raise RestoreRefused("the database is not empty")
    if vendor() == "sqlite":
        _load_sqlite(dump_file)
    else:
        _load_postgresql(dump_file)
    connections.close_all()
