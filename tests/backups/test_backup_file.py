"""The backup file: its manifest, its encryption (nothing readable in it), its signature
(any changed byte refused), its keys (another keyring refused), its schema check (a newer
schema refused before anything is touched); scheduled backups and their retention."""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import sqlite3
import struct
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hisho.audit.actions import record_event
from hisho.audit.models import AuditEvent, AuditTreeHead
from hisho.backups import archive, dumps
from hisho.backups.management.commands.backup import Command as BackupCommand
from hisho.backups.service import (
    BadBackup,
    BadTarget,
    RestoreRefused,
    default_name,
    known_migrations,
    restore_backup,
    take_backup,
)
from hisho.backups.tasks import ensure_backups_scheduled, keep_days, take_scheduled_backup
from hisho.demo import Demo
from hisho.privacy.policy import current_policy
from hisho.vault.keyring import create_keyring_file
from tests.outreach.conftest import free_port
from tests.vault.conftest import ALICE_TITLE

pytestmark = pytest.mark.django_db


# The embedded database's own failures (its dump, its file's folder); PostgreSQL's are
# tested with pg_dump and the connection below.
SQLITE_ONLY = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="a SQLite database's dump and file"
)


@pytest.fixture
def backup(demo: Demo, tmp_path: Path) -> Path:
    return take_backup(tmp_path / "one.backup").path


def header_of(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    (length,) = struct.unpack(">I", raw[len(archive.MAGIC) : len(archive.MAGIC) + 4])
    start = len(archive.MAGIC) + 4
    return json.loads(raw[start : start + length])  # type: ignore[no-any-return]


def test_the_manifest_names_time_schema_audit_tree_and_ledger(backup: Path) -> None:
    """(A backup sees what is committed — here the session's demo, not this test's
    transaction; the drill checks the restored tree against the manifest.)"""
    manifest = header_of(backup)["manifest"]
    assert set(manifest["audit"]) == {"tree_size", "root_hash"}
    assert isinstance(manifest["audit"]["tree_size"], int)
    assert {tuple(m) for m in manifest["schema"]["migrations"]} <= known_migrations()
    assert ["backups", "0001_erasure_ledger"] in manifest["schema"]["migrations"]
    assert manifest["vendor"] == connection.vendor
    assert manifest["erasure_ledger"] == {"applied": 0, "last_seq": 0}
    assert manifest["created_at"].endswith("Z")
    assert AuditEvent.objects.filter(event="backups.backup_taken").exists()


def test_the_backup_is_encrypted_and_names_no_master_key(backup: Path) -> None:
    raw = backup.read_bytes()
    assert ALICE_TITLE.encode() not in raw
    assert b"alice@example.com" not in raw
    assert b"SQLite format 3" not in raw and b"PGDMP" not in raw
    header = header_of(backup)
    # Only wrapped keys: the content key under the keyring, the signer's private half too.
    assert set(header["encryption"]) >= {"master_key_id", "wrapped_key", "nonce_prefix"}
    assert "key" not in header["encryption"]
    assert archive.verify(backup).manifest == header["manifest"]


@pytest.mark.parametrize("where", ["magic", "header", "last_chunk", "middle", "signature"])
def test_any_changed_byte_is_refused(backup: Path, tmp_path: Path, where: str) -> None:
    raw = bytearray(backup.read_bytes())
    position = {
        "magic": 3,
        "header": len(archive.MAGIC) + 40,
        "last_chunk": len(raw) - archive.SIGNATURE_BYTES - 20,
        "middle": len(raw) // 2,
        "signature": len(raw) - 5,
    }[where]
    raw[position] ^= 0x20
    changed = tmp_path / "changed.backup"
    changed.write_bytes(bytes(raw))
    with pytest.raises(BadBackup):
        archive.verify(changed)


def test_a_cut_off_backup_is_refused(backup: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.backup"
    cut.write_bytes(backup.read_bytes()[:-100])
    with pytest.raises(BadBackup):
        archive.verify(cut)


def test_a_backup_is_refused_under_another_keyring(
    backup: Path, settings: Any, tmp_path: Path
) -> None:
    other = tmp_path / "other.keyring"
    create_keyring_file(other)
    settings.HISHO_MASTER_KEY_FILE = other
    settings.HISHO_MASTER_KEY_GENERATE = False
    with pytest.raises(BadBackup, match="does not open under this master keyring"):
        archive.verify(backup)


def test_a_newer_schema_is_refused_before_anything_is_touched(demo: Demo, tmp_path: Path) -> None:
    """A backup made by a newer version (one more migration), properly signed: refused
    for its schema, before the database is looked at."""
    made = take_backup(tmp_path / "current.backup")
    manifest = json.loads(json.dumps(made.manifest))
    manifest["schema"]["migrations"].append(["desk", "9999_from_the_future"])
    payload = tmp_path / "payload"
    payload.write_bytes(b"not looked at")
    manifest["payload"] = {"kind": "x", "bytes": 13, "sha256": "0" * 64}
    newer = tmp_path / "newer.backup"
    archive.write(newer, payload, manifest)
    archive.verify(newer)  # the signature is fine
    with pytest.raises(RestoreRefused, match="schema is newer than this code"):
        restore_backup(newer)


def test_a_database_that_is_not_empty_is_refused(backup: Path) -> None:
    with pytest.raises(RestoreRefused, match="not empty"):
        restore_backup(backup)


class Loaded(Exception):
    """The restore went on to load the dump."""


@pytest.fixture
def empty_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """The configured database looks empty, and loading stops the restore there."""

    def load(dump: Path) -> None:
        raise Loaded

    monkeypatch.setattr(dumps, "is_empty", lambda: True)
    monkeypatch.setattr(dumps, "load", load)


@pytest.mark.usefixtures("empty_target")
def test_a_restore_without_the_erasure_ledger_is_refused(backup: Path, settings: Any) -> None:
    # A new machine with the keyring copied but not the ledger: everyone erased since the
    # backup would come back, and `hisho check` could not tell.
    Path(settings.HISHO_ERASURE_LEDGER_FILE).unlink()
    with pytest.raises(RestoreRefused, match=r"no erasure ledger at .*--no-erasure-ledger"):
        restore_backup(backup)


@pytest.mark.usefixtures("empty_target")
def test_a_restore_goes_on_with_the_ledger_or_when_told_there_is_none(
    backup: Path, settings: Any
) -> None:
    ledger_file = Path(settings.HISHO_ERASURE_LEDGER_FILE)
    # The first backup started the ledger, empty: nobody was erased yet, and it is there
    # to copy with the backups, so a restore of this installation's backups goes on.
    assert ledger_file.read_bytes() == b"" and ledger_file.stat().st_mode & 0o777 == 0o600
    with pytest.raises(Loaded):
        restore_backup(backup)
    ledger_file.unlink()
    with pytest.raises(Loaded):
        restore_backup(backup, without_ledger=True)


@pytest.mark.usefixtures("empty_target")
def test_the_restore_command_names_the_missing_ledger(backup: Path, settings: Any) -> None:
    Path(settings.HISHO_ERASURE_LEDGER_FILE).unlink()  # the backup started it; not copied
    with pytest.raises(CommandError, match="no erasure ledger"):
        call_command("restore", str(backup), stdout=io.StringIO())


def test_a_database_that_cannot_be_reached_is_named_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `hisho restore` runs no system check first: a mistyped or not yet created
    # PostgreSQL database is met by its own connection.
    port = free_port()  # nothing listens there
    monkeypatch.setattr(
        dumps,
        "_settings",
        lambda alias="default": {"NAME": "hisho_new", "HOST": "127.0.0.1", "PORT": port},
    )
    with pytest.raises(dumps.DatabaseUnavailable, match=f"cannot connect to the database .*{port}"):
        dumps._pg_is_empty()


def test_a_restore_whose_database_cannot_be_reached_is_refused(
    backup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> bool:
        raise dumps.DatabaseUnavailable("cannot connect to the database (refused)")

    monkeypatch.setattr(dumps, "is_empty", unreachable)
    with pytest.raises(CommandError, match=r"Refused: cannot connect to the database \(refused\)"):
        call_command("restore", str(backup), stdout=io.StringIO())


def test_missing_postgresql_tools_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dumps.shutil, "which", lambda name: None)
    with pytest.raises(dumps.DatabaseUnavailable, match="pg_restore is not installed"):
        dumps._tool("pg_restore")


def test_a_restore_ends_every_session_the_backup_held(demo: Demo) -> None:
    """The backup holds the sessions of its time: a token signed out since (a lost phone,
    "sign out everywhere") must not work again in the restored database."""
    from django.contrib.sessions.models import Session
    from django.test import Client

    from hisho.backups.actions.records import do_record_restore

    bob = Client()
    bob.force_login(demo.people["bob"])
    assert bob.get("/api/v1/me").status_code == 200
    assert Session.objects.exists()

    do_record_restore(tree_size=0, reapplied=0, absent=0)

    assert not Session.objects.exists()
    assert bob.get("/api/v1/me").status_code == 401
    event = AuditEvent.objects.filter(event="backups.restored").latest("pk")
    assert event.extra["sessions_ended"] >= 1


@SQLITE_ONLY
def test_a_database_path_that_cannot_be_made_is_refused_with_nothing_there(
    backup: Path, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_bytes(b"x")
    monkeypatch.setattr(dumps, "_sqlite_path", lambda alias="default": not_a_folder / "db")
    monkeypatch.setattr(dumps, "is_empty", lambda: True)
    Path(settings.HISHO_ERASURE_LEDGER_FILE).write_bytes(b"")

    with pytest.raises(RestoreRefused, match=f"could not be loaded \\({not_a_folder}: "):
        restore_backup(backup)
    assert not_a_folder.read_bytes() == b"x"


def test_backup_retention_is_declared_in_the_policy() -> None:
    backups = current_policy().retention["backups"]
    assert backups.delete_after_days == keep_days() == 35
    assert "35" in backups.text.en and "35" in backups.text.ja


def test_the_scheduled_backup_backs_up_deletes_old_ones_and_queues_the_next(
    demo: Demo, settings: Any, tmp_path: Path
) -> None:
    settings.HISHO_BACKUP_DIR = tmp_path
    now = dt.datetime.now(dt.UTC)
    old = tmp_path / default_name(now - dt.timedelta(days=keep_days() + 1))
    recent = tmp_path / default_name(now - dt.timedelta(days=keep_days() - 1))
    unrelated = tmp_path / "notes.txt"
    for path in (old, recent, unrelated):
        path.write_bytes(b"x")

    result = take_scheduled_backup.call()

    assert result["deleted"] == 1
    assert not old.exists()
    assert recent.exists() and unrelated.exists()
    made = [p for p in tmp_path.iterdir() if p not in (recent, unrelated)]
    assert len(made) == 1
    archive.verify(made[0])
    assert ensure_backups_scheduled() is False  # the next run is queued already


def test_a_failed_scheduled_backup_still_queues_the_next(
    demo: Demo, settings: Any, tmp_path: Path
) -> None:
    settings.HISHO_BACKUP_DIR = tmp_path / "not-a-folder"
    settings.HISHO_BACKUP_DIR.write_bytes(b"x")  # this run cannot write its backup

    with pytest.raises(BadTarget):
        take_scheduled_backup.call()

    assert ensure_backups_scheduled() is False  # the next run is queued all the same


def test_the_newest_backup_is_kept_however_old(demo: Demo, settings: Any, tmp_path: Path) -> None:
    from hisho.backups.tasks import delete_expired_backups

    settings.HISHO_BACKUP_DIR = tmp_path
    now = dt.datetime.now(dt.UTC)
    older, newest = (tmp_path / default_name(now - dt.timedelta(days=d)) for d in (90, 80))
    older.write_bytes(b"x")
    newest.write_bytes(b"x")
    assert delete_expired_backups() == 1
    assert newest.exists() and not older.exists()


def _backup_command_error(*args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("backup", *args, stdout=io.StringIO())
    return str(refused.value)


def test_a_backup_into_a_missing_folder_is_refused_before_the_audit_tree_changes(
    demo: Demo, tmp_path: Path
) -> None:
    record_event("backups.test_pending", actor=None)
    pending = AuditEvent.objects.filter(leaf_index__isnull=True).count()
    heads = AuditTreeHead.objects.count()
    target = tmp_path / "missing" / "x.backup"

    message = _backup_command_error(str(target))

    assert str(target.parent) in message
    assert AuditEvent.objects.filter(leaf_index__isnull=True).count() == pending > 0
    assert AuditTreeHead.objects.count() == heads
    assert not target.parent.exists()


def test_an_existing_backup_file_is_named_and_kept(demo: Demo, tmp_path: Path) -> None:
    target = tmp_path / "x.backup"
    target.write_bytes(b"x")
    assert _backup_command_error(str(target)) == (f"{target} exists already; not overwriting it.")
    assert target.read_bytes() == b"x"


def test_a_backup_dir_that_is_a_file_is_named(demo: Demo, settings: Any, tmp_path: Path) -> None:
    settings.HISHO_BACKUP_DIR = tmp_path / "not-a-folder"
    settings.HISHO_BACKUP_DIR.write_bytes(b"x")
    message = _backup_command_error()
    assert str(settings.HISHO_BACKUP_DIR) in message
    assert message == f"{settings.HISHO_BACKUP_DIR} is not a folder (HISHO_BACKUP_DIR)"
    assert settings.HISHO_BACKUP_DIR.read_bytes() == b"x"


def _disk_full_after_the_header(source: Any) -> Any:
    yield b"the first piece"
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_disk_that_fills_up_leaves_no_cut_off_backup(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "_compressed", _disk_full_after_the_header)
    target = tmp_path / "x.backup"

    message = _backup_command_error(str(target))

    assert message == f"{target}: the backup could not be written (No space left on device)"
    assert list(tmp_path.iterdir()) == []  # neither a cut-off backup nor the scratch dump


@SQLITE_ONLY
def test_a_dump_that_fails_is_a_message_not_a_traceback(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(out: Path) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(dumps, "_dump_sqlite", full)

    message = _backup_command_error(str(tmp_path))

    assert message.endswith("the backup could not be written (database or disk is full)")
    assert list(tmp_path.iterdir()) == []


def test_schedule_refuses_a_path(tmp_path: Path) -> None:
    message = _backup_command_error("--schedule", str(tmp_path / "x.backup"))
    assert "--schedule" in message
    assert ensure_backups_scheduled() is True  # nothing was queued


def test_the_backup_help_names_the_real_default() -> None:
    help_text = BackupCommand().create_parser("hisho", "backup").format_help()
    assert "./var/backups" not in help_text
    assert "HISHO_BACKUP_DIR" in help_text
    assert "HISHO_VAR_DIR" in help_text
