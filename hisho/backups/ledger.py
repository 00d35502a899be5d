"""The erasure ledger: an append-only file, outside the database, of every erasure.

Crypto-shredding destroys a customer's key in the database; a backup taken before still
holds that key. So every erasure is also written here, beside the master keyring (which
operators keep and back up apart from the database), and after a restore every entry the
restored database has not applied is applied again (hisho.backups.actions.replay).

One JSON object per line (canonical JSON, RFC 8785 as in hisho.signing.canonical)::

    {"at": "2026-…Z", "hash": "<sha256 hex>", "person_id": 12,
     "prev": "<hash of the line before; 64 zeros for the first>",
     "pseudonym": "<the person's audit pseudonym>", "seq": 1}

`hash` is SHA-256 over the canonical JSON of the other five fields, so each line commits
to every line before it: an edited, dropped or reordered line breaks the chain. Each
entry's hash is also recorded in the audit transparency log (event
`backups.erasure_ledgered`, covered by signed tree heads and witnesses) and in the
database that applied it (hisho.backups.models.AppliedErasure), which `hisho check`
compares with the file.

It holds ids only: the erased account's number and its audit pseudonym (which, with the
person's audit key destroyed, links to nobody; a restored older database is what it is
matched against). Appends take an exclusive `flock` on the file, so processes on one
machine never interleave; the scaled shape keeps it on storage all app processes share
(docs/operations.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from hisho.signing.canonical import canonical_json

GENESIS = "0" * 64
# How far back from the end a line can start (a line is ~250 bytes).
_TAIL = 4096


class LedgerError(Exception):
    """The ledger file does not hold together. The message names a line number, never
    the line's content."""


class LedgerUnreadable(LedgerError):
    """The ledger file cannot be opened, read or written (a folder in its place, its
    permissions). The message names the file."""


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    person_id: int
    pseudonym: str
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "person_id": self.person_id,
            "pseudonym": self.pseudonym,
            "prev": self.prev,
        }

    def line(self) -> bytes:
        return canonical_json({**self.body(), "hash": self.hash}) + b"\n"


def entry_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def path() -> Path:
    return Path(settings.HISHO_ERASURE_LEDGER_FILE)


def _parse(raw: bytes, number: int) -> Entry:
    try:
        data = json.loads(raw)
        entry = Entry(
            seq=data["seq"],
            at=data["at"],
            person_id=data["person_id"],
            pseudonym=data["pseudonym"],
            prev=data["prev"],
            hash=data["hash"],
        )
    except (ValueError, KeyError, TypeError):
        raise LedgerError(f"line {number} is not a ledger entry") from None
    types = (
        (entry.seq, int),
        (entry.at, str),
        (entry.person_id, int),
        (entry.pseudonym, str),
        (entry.prev, str),
        (entry.hash, str),
    )
    if any(not isinstance(value, kind) or isinstance(value, bool) for value, kind in types):
        raise LedgerError(f"line {number} is not a ledger entry")
    if set(data) != {"seq", "at", "person_id", "pseudonym", "prev", "hash"}:
        raise LedgerError(f"line {number} is not a ledger entry")
    if entry_hash(entry.body()) != entry.hash:
        raise LedgerError(f"line {number} was changed: its hash does not match it")
    return entry


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Complete lines; a last line without its newline (a write cut short by a crash, so
    an erasure that never committed) is not an entry."""
    for number, raw in enumerate(handle, start=1):
        if raw.endswith(b"\n"):
            yield number, raw


def read(ledger: Path | None = None) -> list[Entry]:
    """Every entry, the chain checked (LedgerError at the first break). No file: none."""
    ledger = ledger or path()
    try:
        handle = ledger.open("rb")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise LedgerUnreadable(f"{ledger} cannot be read: {exc.strerror or exc}") from None
    entries: list[Entry] = []
    with handle:
        try:
            for number, raw in _lines(handle):
                entry = _parse(raw, number)
                expected_prev = entries[-1].hash if entries else GENESIS
                if entry.seq != len(entries) + 1:
                    raise LedgerError(f"line {number}: entry {entry.seq} is out of sequence")
                if entry.prev != expected_prev:
                    raise LedgerError(f"line {number} does not follow the line before it")
                entries.append(entry)
        except OSError as exc:
            raise LedgerUnreadable(f"{ledger} cannot be read: {exc.strerror or exc}") from None
    return entries


def _last(handle: IO[bytes]) -> tuple[Entry | None, int]:
    """The last complete entry and where the complete lines end (appends start there)."""
    size = handle.seek(0, os.SEEK_END)
    start = max(0, size - _TAIL)
    handle.seek(start)
    tail = handle.read()
    end = tail.rfind(b"\n")
    if end < 0:
        if start > 0:
            raise LedgerError("the last line is too long to be a ledger entry")
        return None, 0
    complete = tail[: end + 1]
    before = complete[:-1].rfind(b"\n")
    if before < 0 and start > 0:
        raise LedgerError("the last line is too long to be a ledger entry")
    return _parse(complete[before + 1 :], 0), start + end + 1


@contextmanager
def _locked(ledger: Path) -> Iterator[IO[bytes]]:
    ledger.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(ledger, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_exists() -> None:
    """Start the ledger, empty, if this installation has none yet. A backup restores only
    together with the ledger (`hisho restore` refuses without one), so taking a backup
    starts it: the file then exists from the first backup on, whether or not anyone was
    erased yet, and a restore that finds none knows the ledger was not copied."""
    try:
        with _locked(path()):
            pass
    except OSError as exc:
        raise LedgerUnreadable(f"{path()} cannot be written: {exc.strerror or exc}") from None


def append(*, person_id: int, pseudonym: str, at: dt.datetime) -> Entry:
    """Write the next entry and make it durable (fsync) before returning."""
    try:
        return _append(path(), person_id=person_id, pseudonym=pseudonym, at=at)
    except OSError as exc:
        raise LedgerUnreadable(f"{path()} cannot be written: {exc.strerror or exc}") from None


def _append(ledger: Path, *, person_id: int, pseudonym: str, at: dt.datetime) -> Entry:
    with _locked(ledger) as handle:
        last, end = _last(handle)
        draft = Entry(
            seq=(last.seq + 1) if last else 1,
            at=at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            person_id=int(person_id),
            pseudonym=pseudonym,
            prev=last.hash if last else GENESIS,
            hash="",
        )
        entry = dataclasses.replace(draft, hash=entry_hash(draft.body()))
        handle.truncate(end)  # drop a line cut short by a crash, if any
        handle.seek(end)
        handle.write(entry.line())
        handle.flush()
        os.fsync(handle.fileno())
    return entry
