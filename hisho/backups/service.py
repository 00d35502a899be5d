"""`hisho backup` and `hisho restore`, and the backup retention (docs/operations.md,
"Backups and restores").

A restore checks everything before it touches the database — the signature (made by a
signing key whose private half opens under this keyring), that this code knows every
migration the backup's schema has, that the erasure ledger holds together, and that the
configured database is empty — then loads the dump, migrates it to this code's schema,
and re-applies every erasure the ledger holds that the backup does not, before it
returns (so before anything can serve from the restored database).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from hisho.backups import archive, dumps, ledger
from hisho.backups.archive import BadBackup
from hisho.backups.dumps import DatabaseUnavailable, RestoreRefused

log = logging.getLogger(__name__)

SUFFIX = ".backup"
NAME = re.compile(r"^hisho-(\d{8}T\d{6}Z)-[0-9a-f]{8}\.backup$")
MANIFEST_VERSION = 1

__all__ = ["BadBackup", "BadTarget", "RestoreRefused", "restore_backup", "take_backup"]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    payload_bytes: int
    manifest: dict[str, Any]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def default_name(now: dt.datetime) -> str:
    return f"hisho-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}{SUFFIX}"


class BadTarget(Exception):
    """The backup cannot be written where it was asked for (no backup file is left). The
    message names the path."""


def _target(path: Path | None, now: dt.datetime) -> Path:
    """The file to create, its folder checked (BadTarget if it cannot be written)."""
    if path is None:
        path = Path(settings.HISHO_BACKUP_DIR)
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:
            raise BadTarget(f"{path} is not a folder (HISHO_BACKUP_DIR)") from None
        except OSError as exc:
            raise BadTarget(f"{path}: {exc.strerror or exc}") from None
    if path.is_dir():
        path = path / default_name(now)
    out = path.resolve()
    if out.exists():
        raise BadTarget(f"{out} exists already; not overwriting it.")
    if not out.parent.is_dir():
        raise BadTarget(f"{out.parent}: no such folder")
    return out


def take_backup(path: Path | None = None) -> BackupResult:
    """A consistent, encrypted, signed backup of the configured database at `path` (a file
    to create, or a directory; default HISHO_BACKUP_DIR). BadTarget, with nothing done,
    when it cannot be written there."""
    from hisho.audit.tree import TreeMismatch, integrate_all
    from hisho.backups.actions.records import do_record_backup

    now = timezone.now()
    out = _target(path, now)  # checked before anything changes
    try:
        ledger.ensure_exists()  # this backup restores only beside the ledger
    except ledger.LedgerError as exc:
        raise BadTarget(str(exc)) from None
    try:
        scratch_dir = tempfile.TemporaryDirectory(dir=out.parent, prefix=".hisho-backup-")
    except OSError as exc:
        raise BadTarget(f"{out.parent}: {exc.strerror or exc}") from None
    try:
        integrate_all()  # the manifest's signed tree head then covers every entry so far
    except TreeMismatch as mismatch:
        # The data is backed up all the same; the manifest names the latest signed head.
        log.error("backup: audit entries not signed: %s", mismatch)
    try:
        manifest, size, payload_bytes = _write_backup(out, now, scratch_dir)
    except FileExistsError:
        raise BadTarget(f"{out} exists already; not overwriting it.") from None
    except (
        OSError,
        sqlite3.Error,
        subprocess.CalledProcessError,
        dumps.DatabaseUnavailable,
    ) as exc:
        # A full disk, a folder removed meanwhile, pg_dump failing: a message, not a
        # traceback, and no backup file (archive.write removes a cut-off one).
        raise BadTarget(f"{out}: the backup could not be written ({_reason(exc)})") from None
    do_record_backup(
        tree_size=int(manifest["audit"]["tree_size"]),
        payload_bytes=payload_bytes,
        backup_bytes=size,
    )
    return BackupResult(out, size, payload_bytes, manifest)


def _reason(exc: BaseException) -> str:
    """Why writing failed, without the statement or file contents an error may quote."""
    if isinstance(exc, subprocess.CalledProcessError):
        lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"pg_dump exited with status {exc.returncode}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _write_backup(
    out: Path, now: dt.datetime, scratch_dir: tempfile.TemporaryDirectory[str]
) -> tuple[dict[str, Any], int, int]:
    with scratch_dir as scratch:
        dump = Path(scratch) / "dump"
        facts = dumps.dump(dump)
        payload_bytes = dump.stat().st_size
        manifest = {
            "version": MANIFEST_VERSION,
            "created_at": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "vendor": dumps.vendor(),
            **facts,
            "payload": {
                "kind": "sqlite-database" if dumps.vendor() == "sqlite" else "pg_dump-custom",
                "bytes": payload_bytes,
                "sha256": _sha256(dump),
            },
        }
        size = archive.write(out, dump, manifest)
    return manifest, size, payload_bytes


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    erasures_reapplied: int
    erasures_absent: int
    load_seconds: float  # verify, decrypt, load and migrate
    reapply_seconds: float


def known_migrations() -> set[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return set(loader.disk_migrations)


def check_manifest(manifest: dict[str, Any]) -> None:
    """Refuse a backup this code cannot restore (before anything is touched)."""
    if manifest.get("version") != MANIFEST_VERSION:
        raise RestoreRefused("the backup's manifest is of a version this code does not read")
    if manifest.get("vendor") != dumps.vendor():
        raise RestoreRefused(
            f"the backup is of a {manifest.get('vendor')} database; this one is {dumps.vendor()}"
        )
    migrations = manifest.get("schema", {}).get("migrations")
    if not isinstance(migrations, list):
        raise RestoreRefused("the backup's manifest has no schema version")
    unknown = [
        f"{app}.{name}"
        for app, name in (tuple(item) for item in migrations)
        if (app, name) not in known_migrations()
    ]
    if unknown:
        raise RestoreRefused(
            f"the backup's schema is newer than this code ({len(unknown)} migration(s) it "
            f"does not have, e.g. {unknown[0]}): restore it with the version that made it"
        )


def _check_restored_audit(manifest: dict[str, Any]) -> None:
    from hisho.audit.models import AuditTreeHead

    expected = manifest["audit"]
    head = AuditTreeHead.objects.order_by("-size").first()
    found = (head.size, head.root_hash) if head else (0, None)
    if found != (expected["tree_size"], expected["root_hash"]):
        raise RestoreRefused("the restored audit log does not match the backup's manifest")


def restore_backup(path: Path, *, without_ledger: bool = False) -> RestoreResult:
    """Verify, then load into the empty configured database, migrate, re-apply the erasure
    ledger. BadBackup or RestoreRefused (with nothing changed) when it must not.

    No ledger file at all is refused unless `without_ledger` says this installation never
    erased anyone: a restore on a new machine with the keyring but not the ledger copied
    would otherwise bring everyone erased since the backup back, and nothing would tell."""
    from hisho.backups.actions.records import do_record_restore
    from hisho.backups.actions.replay import apply_erasures

    started = time.perf_counter()
    verified = archive.verify(path)
    check_manifest(verified.manifest)
    try:
        ledger.read()
    except ledger.LedgerError as exc:
        raise RestoreRefused(
            f"the erasure ledger is damaged ({exc}); erasures could not be kept"
        ) from None
    try:
        empty = dumps.is_empty()
    except DatabaseUnavailable as exc:
        raise RestoreRefused(str(exc)) from None
    if not empty:
        raise RestoreRefused("the database is not empty: restore into a fresh, empty one")
    if not without_ledger and not ledger.path().exists():
        raise RestoreRefused(
            f"there is no erasure ledger at {ledger.path()}, so erasures made after this "
            "backup could not be re-applied: put this installation's ledger there (or set "
            "HISHO_ERASURE_LEDGER_FILE), or, if nobody was ever erased on it, pass "
            "--no-erasure-ledger"
        )
    with tempfile.TemporaryDirectory(prefix="hisho-restore-") as scratch:
        dump = Path(scratch) / "dump"
        try:
            archive.decrypt_to(verified, dump)
            dumps.load(dump)
        except DatabaseUnavailable as exc:  # pg_restore missing: nothing loaded
            raise RestoreRefused(str(exc)) from None
        except OSError as exc:
            # A full disk, or a DATABASE_URL whose folder cannot be made: the SQLite file
            # is staged and linked into place last, so nothing is there yet.
            where = f"{exc.filename}: " if exc.filename else ""
            raise RestoreRefused(
                f"the backup could not be loaded ({where}{_reason(exc)})"
            ) from None
    _check_restored_audit(verified.manifest)
    call_command("migrate", interactive=False, verbosity=0)
    loaded = time.perf_counter()
    report = apply_erasures()
    reapplied = time.perf_counter()
    do_record_restore(
        tree_size=int(verified.manifest["audit"]["tree_size"]),
        reapplied=len(report.erased),
        absent=len(report.absent),
    )
    connections.close_all()
    return RestoreResult(
        verified.manifest,
        len(report.erased),
        len(report.absent),
        load_seconds=loaded - started,
        reapply_seconds=reapplied - loaded,
    )


def expired_backups(now: dt.datetime, keep_days: int) -> list[Path]:
    """Backups in HISHO_BACKUP_DIR older than `keep_days` by the time in their name —
    never the newest one, so backups that stopped do not leave none at all."""
    folder = Path(settings.HISHO_BACKUP_DIR)
    if not folder.is_dir():
        return []
    dated = []
    for candidate in folder.iterdir():
        match = NAME.match(candidate.name)
        if match and candidate.is_file():
            taken = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            dated.append((taken, candidate))
    dated.sort()
    cutoff = now - dt.timedelta(days=keep_days)
    return [candidate for taken, candidate in dated[:-1] if taken < cutoff]
