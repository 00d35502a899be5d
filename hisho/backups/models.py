"""Which entries of the erasure ledger (hisho.backups.ledger) this database has applied.

One row per ledger entry, written in the erasure's own transaction (or when a restore
re-applies it): ids and hashes only. A ledger entry with no row here is an erasure the
database does not reflect yet — after restoring an older backup, or when the erasure's
commit failed after its ledger line was written — and `hisho check` refuses to start
until `hisho apply-erasures` (run by `hisho restore` itself) has caught up.
"""

from __future__ import annotations

from django.db import models


class AppliedErasure(models.Model):
    seq = models.PositiveBigIntegerField(primary_key=True)
    entry_hash = models.CharField(max_length=64)
    applied_at = models.DateTimeField()
    # True when a restore re-applied it (the erasure itself happened in another database).
    reapplied = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Erasure ledger entry {self.seq}"
