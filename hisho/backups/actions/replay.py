"""Re-applying the erasure ledger to this database: after `hisho restore` (which runs it
before it returns, so before anything serves a request), after a point-in-time recovery
(`hisho apply-erasures`), or to complete an erasure whose commit failed.

Each entry the database has not applied is applied in a transaction of its own, by the
erasure action itself (hisho.privacy.actions.erasure.do_erase_account, acting as the
person, as when they erased their account): the key shredded, open errands cancelled
(and their assistants told again), rows deleted, the audit log's ids erased, the account
deleted. An entry whose account is not in this database (it was made after the backup)
or is another person (account numbers can be handed out again after a restore: the audit
pseudonym tells them apart) is only marked as applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hisho.accounts.models import User
from hisho.audit.models import AuditSubject
from hisho.backups import ledger
from hisho.backups.actions.ledger import do_mark_erasure_applied, replaying
from hisho.backups.models import AppliedErasure
from hisho.errors import Forbidden
from hisho.privacy.actions.erasure import do_erase_account


class ReplayError(Exception):
    """An entry could not be applied; the message names its sequence number only."""


@dataclass
class ReplayReport:
    erased: list[int] = field(default_factory=list)  # ledger sequence numbers
    absent: list[int] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return len(self.erased) + len(self.absent)


def pending_entries() -> list[ledger.Entry]:
    """Ledger entries this database has not applied, oldest first (LedgerError if the
    ledger is broken)."""
    entries = ledger.read()
    done = set(AppliedErasure.objects.values_list("seq", flat=True))
    return [entry for entry in entries if entry.seq not in done]


def _same_person(entry: ledger.Entry) -> User | None:
    user = User.objects.filter(pk=entry.person_id).first()
    if user is None:
        return None
    ref = AuditSubject.objects.filter(user_id=user.pk).values_list("ref", flat=True).first()
    if ref is not None and ref != entry.pseudonym:
        return None  # the number was given to someone else after a restore
    return user


def apply_erasures() -> ReplayReport:
    """Apply every pending ledger entry; each one commits on its own."""
    report = ReplayReport()
    for entry in pending_entries():
        user = _same_person(entry)
        if user is None:
            do_mark_erasure_applied(actor=None, entry=entry, found=False)
            report.absent.append(entry.seq)
            continue
        with replaying(entry):
            try:
                do_erase_account(actor=user)
            except Forbidden:
                raise ReplayError(
                    f"Erasure ledger entry {entry.seq}: its account is no longer an active "
                    "customer in this database, so it cannot erase itself; an admin must "
                    "close it (docs/operations.md)."
                ) from None
        report.erased.append(entry.seq)
    return report
