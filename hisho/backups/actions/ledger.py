"""An erasure, written to the erasure ledger (hisho.backups.ledger) and marked as applied
in this database, in the erasure's own transaction; or, while a restore re-applies a
ledger entry (`replaying`), only marked.

The ledger line is written and fsynced *before* the transaction commits: if the commit
then fails, the ledger is ahead of the database and `hisho check` refuses to start until
`hisho apply-erasures` has completed the erasure the person asked for. The opposite order
could lose an erasure that committed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from hisho.audit.actions import record_event
from hisho.backups import ledger
from hisho.backups.models import AppliedErasure

# The ledger entry a restore is re-applying in this context (None: a new erasure).
_replaying: contextvars.ContextVar[ledger.Entry | None] = contextvars.ContextVar(
    "hisho_erasure_replaying", default=None
)


@contextmanager
def replaying(entry: ledger.Entry) -> Iterator[None]:
    token = _replaying.set(entry)
    try:
        yield
    finally:
        _replaying.reset(token)


@transaction.atomic
def do_mark_erasure_applied(*, actor: Any | None, entry: ledger.Entry, found: bool) -> None:
    """This database now reflects ledger entry `entry` (re-applied by a restore; `found`:
    whether the account was in this database at all)."""
    AppliedErasure.objects.create(
        seq=entry.seq, entry_hash=entry.hash, applied_at=timezone.now(), reapplied=True
    )
    record_event(
        "backups.erasure_reapplied",
        actor=actor,
        extra={"ledger_seq": entry.seq, "ledger_hash": entry.hash, "found": found},
    )


@transaction.atomic
def do_ledger_erasure(*, actor: Any | None, person_id: int, pseudonym: str) -> int:
    """Called by the erasure (hisho.privacy.actions.erasure) as its last step, once the
    account is gone: the ledger line, its mark here and its audit event (the entry's
    sequence number and hash — never the person's id). Returns the sequence number."""
    entry = _replaying.get()
    if entry is not None:
        if entry.person_id != person_id:
            raise RuntimeError("re-applied erasure does not match its ledger entry")
        do_mark_erasure_applied(actor=actor, entry=entry, found=True)
        return entry.seq
    entry = ledger.append(person_id=person_id, pseudonym=pseudonym, at=timezone.now())
    AppliedErasure.objects.create(seq=entry.seq, entry_hash=entry.hash, applied_at=timezone.now())
    record_event(
        "backups.erasure_ledgered",
        actor=actor,
        extra={"ledger_seq": entry.seq, "ledger_hash": entry.hash},
    )
    return entry.seq
