"""Restore drills (issue 16), on SQLite and — when the suite runs on it — PostgreSQL:
backup → new errands and messages → erase alice → restore the backup into an empty
database → alice's data is gone and cannot be unsealed, bob's data from before the backup
is intact, the audit log verifies, `hisho check` passes and the restored instance serves.
A backup changed by one byte, or a restore into a database that is not empty, is refused
with nothing changed.

Each half runs as its own process (tests/backups/drill.py) against databases of its own
(SQLite files in a temporary directory, or PostgreSQL databases named after the test
database), sharing one var directory: the keyring and the erasure ledger beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

POSTGRES = connection.vendor == "postgresql"


@dataclass
class Drill:
    var: Path
    facts: dict[str, Any]
    databases: dict[str, str]  # role → DATABASE_URL

    def env(self, database: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DATABASE_"))}
        env["HISHO_VAR_DIR"] = str(self.var)
        env["HISHO_LOG_LEVEL"] = "WARNING"
        env["DATABASE_URL"] = self.databases[database]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path.cwd()), env.get("PYTHONPATH")]))
        return env

    def run(self, database: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, *args],
            env=self.env(database),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def is_empty(self, database: str) -> bool:
        url = self.databases[database]
        if url.startswith("sqlite:///"):
            return not Path(url.removeprefix("sqlite:///")).exists()
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()  # type: ignore[misc]
        return int(count) == 0


ROLES = ("source", "restored", "tampered")


def _postgres_databases() -> Iterator[dict[str, str]]:
    import psycopg

    settings = connection.settings_dict
    dsn = {
        "host": settings.get("HOST") or "127.0.0.1",
        "port": str(settings.get("PORT") or 5432),
        "user": settings.get("USER") or "postgres",
    }
    names = {role: f"{settings['NAME']}_drill_{role}" for role in ROLES}
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as admin:  # type: ignore[arg-type]
        for name in names.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            role: f"postgres://{dsn['user']}@{dsn['host']}:{dsn['port']}/{name}"
            for role, name in names.items()
        }
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as admin:  # type: ignore[arg-type]
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drill]:
    """The source half, once for this module: a backup, writes after it, alice erased."""
    root = tmp_path_factory.mktemp("drill")
    if POSTGRES:
        databases_made = _postgres_databases()
        databases = next(databases_made)
    else:
        databases_made = None
        databases = {role: f"sqlite:///{root / f'{role}.sqlite3'}" for role in ROLES}
    made = Drill(root / "var", {}, databases)
    try:
        out = root / "facts.json"
        ran = made.run("source", "-m", "tests.backups.drill", "source", str(out), str(root))
        assert ran.returncode == 0, ran.stderr[-3000:]
        made.facts = json.loads(out.read_text())
        yield made
    finally:
        if databases_made is not None:
            next(databases_made, None)


def test_restore_drill(drill: Drill, tmp_path: Path) -> None:
    restored = drill.run("restored", "-m", "hisho", "restore", drill.facts["backup"])
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "re-applied 1 erasure(s)" in restored.stdout
    # The manifest's signed tree head (checked against the restored log by the restore).
    assert drill.facts["tree_size"] > 0
    assert f"audit tree size {drill.facts['tree_size']}" in restored.stdout

    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(drill.facts))
    verified = drill.run("restored", "-m", "tests.backups.drill", "verify", str(facts_file))
    assert verified.returncode == 0, verified.stderr[-3000:]
    report = json.loads(verified.stdout.strip().splitlines()[-1])

    # alice: erased again right after the restore — no account, no errand, no key.
    assert report["alice_exists"] is False
    assert report["alice_errands_left"] == 0
    assert report["alice_after_exists"] is False
    assert drill.facts["alice_tokens"], "the drill must have captured alice's ciphertexts"
    assert report["alice_keys_opened"] == 0
    assert report["alice_key_rows"] == 0
    # bob: what he had before the backup is intact (what came after is not in it).
    assert report["bob_title"] == drill.facts["bob_title"]
    assert report["bob_messages"] == drill.facts["bob_messages"]
    assert "Before the backup: bob's line" in report["bob_messages"]
    assert report["bob_after_exists"] is False
    # The audit log verifies, the ledger and the database agree, and it serves.
    assert report["audit_ok"] is True
    assert report["ledger_problems"] == []
    assert report["reapplied"] == [1]
    assert report["page_status"] == 200
    assert report["page_shows_bob_title"] is True
    assert report["checkpoint_status"] == 200


def test_a_backup_changed_by_one_byte_is_refused(drill: Drill, tmp_path: Path) -> None:
    original = Path(drill.facts["backup"]).read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    tampered = tmp_path / "tampered.backup"
    tampered.write_bytes(bytes(changed))
    refused = drill.run("tampered", "-m", "hisho", "restore", str(tampered))
    assert refused.returncode != 0
    assert "does not verify" in refused.stderr
    assert drill.is_empty("tampered")


def test_a_database_that_is_not_empty_is_refused(drill: Drill) -> None:
    refused = drill.run("source", "-m", "hisho", "restore", drill.facts["backup"])
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    # Nothing changed: the source still knows alice's erasure (and nothing re-applied).
    checked = drill.run("source", "-m", "hisho", "check")
    assert checked.returncode == 0, checked.stderr[-2000:]
