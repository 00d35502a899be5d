"""Start-up check: the database must reflect every erasure in the erasure ledger.

`hisho check` (run before the server starts: `make serve`, docs/operations.md) and every
command that runs system checks stop when

- backups.E001: the ledger records erasures this database has not applied (a restored
  older backup, a point-in-time recovery, or an erasure whose commit failed):
  run `hisho apply-erasures`;
- backups.E002: the ledger does not hold together (a line edited, dropped or reordered),
  cannot be read (a folder in its place, its permissions), or disagrees with the hashes
  this database recorded for the entries it applied;
- backups.E003: this database applied entries the ledger does not have (the ledger was
  truncated or replaced by another one).
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError, connections

from hisho.backups import ledger

HINT = "See docs/operations.md, 'Backups and restores'."


def ledger_problems(using: str = "default") -> list[checks.CheckMessage]:
    from hisho.backups.models import AppliedErasure

    where = ledger.path()
    try:
        entries = ledger.read(where)
    except ledger.LedgerUnreadable as exc:
        unreadable = f"The erasure ledger {exc}."
        return [checks.Error(unreadable, hint=HINT, id="backups.E002")]
    except ledger.LedgerError as exc:
        damaged = f"The erasure ledger {where} is damaged: {exc}."
        return [checks.Error(damaged, hint=HINT, id="backups.E002")]
    try:
        applied = dict(AppliedErasure.objects.using(using).values_list("seq", "entry_hash"))
    except DatabaseError:
        return []  # not migrated yet: `migrate` says so
    by_seq = {entry.seq: entry for entry in entries}
    problems: list[checks.CheckMessage] = []
    unknown = sorted(seq for seq in applied if seq not in by_seq)
    if unknown:
        problems.append(
            checks.Error(
                f"This database applied erasure ledger entries up to {unknown[-1]}, which "
                f"{where} does not have: it was truncated or is another ledger.",
                hint="Start with the ledger that belongs to this database. " + HINT,
                id="backups.E003",
            )
        )
    changed = sorted(
        seq for seq, digest in applied.items() if seq in by_seq and by_seq[seq].hash != digest
    )
    if changed:
        problems.append(
            checks.Error(
                f"Erasure ledger entry {changed[0]} in {where} is not the entry this "
                "database applied: the ledger was rewritten.",
                hint=HINT,
                id="backups.E002",
            )
        )
    pending = [entry.seq for entry in entries if entry.seq not in applied]
    if pending:
        problems.append(
            checks.Error(
                f"The erasure ledger is ahead of the database: {len(pending)} erasure(s) "
                f"(from entry {pending[0]}) are not applied here.",
                hint="Run `hisho apply-erasures` before serving. " + HINT,
                id="backups.E001",
            )
        )
    return problems


@checks.register("backups")
def check_erasure_ledger(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> Any:
    if app_configs is not None and not any(c.label == "backups" for c in app_configs):
        return []
    problems = []
    for alias in databases or ["default"]:
        if alias in connections:
            problems.extend(ledger_problems(alias))
    return problems
