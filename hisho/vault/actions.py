"""Every write the vault makes (house rule 1): access-log entries, failure reports,
crypto-shredding, key rotation. Audit events carry ids and counts only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event, record_events
from hisho.errors import Forbidden
from hisho.signing.wrapping import rewrap_all
from hisho.vault.keyring import master_keys
from hisho.vault.keys import store
from hisho.vault.models import AccessAction, AccessLogEntry, CustomerKey
from hisho.vault.reads import current_batch
from hisho.vault.sealing import Place, Scope


@transaction.atomic
def do_log_staff_access(
    *, actor: User, customer_id: int, errand_id: uuid.UUID | None, action: AccessAction
) -> AccessLogEntry | None:
    """Staff unsealed a customer's data: the entry the customer sees on "Who saw my data",
    and (by ids) in the tamper-evident audit log, which the access log is not.

    Inside a request's read batch (hisho/vault/reads.py) a second read of the same errand
    by the same person adds its kind to the entry already written (and returns None), and
    the audit event is written once for the request when it ends."""
    batch = current_batch()
    key = (actor.pk, customer_id, errand_id)
    if batch is not None and key in batch.entries:
        entry = batch.entries[key]
        kinds = entry.kinds.split(",")
        if str(action) not in kinds:
            entry.kinds = ",".join([*kinds, str(action)])
            entry.save(update_fields=["kinds"])
        return None
    entry = AccessLogEntry.objects.create(
        customer_id=customer_id,
        actor=actor,
        actor_name=actor.display_name,
        actor_role=actor.role,
        action=action,
        kinds=str(action),
        errand_id=errand_id,
    )
    if batch is not None:
        batch.entries[key] = entry
        batch.actor = actor
    else:
        do_audit_staff_reads(actor=actor, entries=[entry])
    return entry


@transaction.atomic
def do_log_assignment_change(
    *, assistant: User, customer_id: int, errand_id: uuid.UUID, action: AccessAction
) -> AccessLogEntry:
    """Who was given a customer's errand (and so may open it), accepted, or lost it: on
    the customer's "Who saw my data" next to the reads. The desk's own action writes the
    audit event of the change."""
    return AccessLogEntry.objects.create(
        customer_id=customer_id,
        actor=assistant,
        actor_name=assistant.display_name,
        actor_role=assistant.role,
        action=action,
        kinds=str(action),
        errand_id=errand_id,
    )


@transaction.atomic
def do_audit_staff_reads(*, actor: User, entries: list[AccessLogEntry]) -> None:
    """The staff reads of one request: one audit event per access-log entry (by ids), so
    every entry of a customer's "Who saw my data" has its own leaf to prove — written
    with one INSERT however many customers the request touched."""
    record_events(
        [
            (
                "vault.staff_unsealed",
                actor,
                None,
                {
                    "customer_id": entry.customer_id,
                    "errand_id": entry.errand_id,
                    "action": entry.action,
                    "access_log_id": entry.pk,
                },
            )
            for entry in sorted(entries, key=lambda entry: entry.pk)
        ]
    )


@transaction.atomic
def do_report_unseal_failure(
    *, actor: Any, scope: Scope, place: Place, reason: str, count: int
) -> None:
    """A value did not open. Recorded by id (first failing cell, and how many failed)."""
    record_event(
        "vault.unseal_failed",
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        extra={
            "customer_id": scope.customer_id,
            "errand_id": scope.errand_id,
            "table": place.table,
            "row_id": place.row_id,
            "field": place.field,
            "reason": reason,
            "count": count,
        },
    )


def _secure_delete() -> None:
    # SQLite: overwrite freed space, so the destroyed key does not linger in free pages.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def _checkpoint() -> None:
    # SQLite in WAL mode: move the new pages into the database file and empty the WAL.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@transaction.atomic
def do_shred_customer_key(*, actor: User, customer: User) -> int:
    """Crypto-shred a customer: destroy their key, so every value ever sealed for them —
    errands, messages, profile, and the copies of those in backups — stops opening.
    The customer themself (erasure) or an admin may do it. Returns how many data keys
    were destroyed with it."""
    if not actor.is_active or (actor.pk != customer.pk and actor.role != Role.ADMIN):
        raise Forbidden("Only the person themself or an admin can destroy their keys.")
    _secure_delete()
    destroyed = store().shred(customer.pk)
    record_event(
        "vault.customer_key_shredded", actor=actor, target=customer, extra={"data_keys": destroyed}
    )
    transaction.on_commit(_checkpoint)
    return destroyed


@dataclass(frozen=True)
class RotationReport:
    master_key_id: str
    customer_keys: int
    data_keys: int


def do_rotate_keys(*, actor: User | None = None, new_customer_keys: bool = True) -> RotationReport:
    """`hisho rotate-keys`: a new active master key, then each customer key rewrapped
    under it — with `new_customer_keys`, replaced by a new version that their data keys
    are rewrapped under. Content ciphertext is never decrypted or rewritten.

    One transaction per customer rather than one for all: the service keeps running and
    no lock is held for long. Running it again after an interruption is safe.
    """
    # The database first: a keyring that gained an active key while the database could not
    # take the rewrap (not migrated, unreachable) was a half-done rotation, again at each try.
    CustomerKey.objects.exists()
    master_key_id = master_keys().add_active_key()
    # Hisho's other wrapped secrets (signing keys, audit pseudonym keys) move along.
    rewrap_all()
    customers = data_keys = 0
    pending = (
        CustomerKey.objects.filter(wrapped__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for customer_id in pending.iterator(chunk_size=500):
        data_keys += store().rotate_customer_key(customer_id, new_key=new_customer_keys)
        customers += 1
    record_event(
        "vault.keys_rotated",
        actor=actor,
        extra={
            "master_key_id": master_key_id,
            "customer_keys": customers,
            "data_keys": data_keys,
            "new_customer_keys": new_customer_keys,
        },
    )
    return RotationReport(master_key_id, customers, data_keys)


def do_retire_master_keys(*, actor: User | None = None) -> list[str]:
    """`hisho rotate-keys --retire`: rewrap whatever is still under an old master key,
    then remove every master key but the active one from the keyring. Returns their ids."""
    keys = master_keys()
    active = keys.active_key_id()
    old = set(keys.key_ids()) - {active}
    stragglers = (
        CustomerKey.objects.filter(wrapped__isnull=False)
        .exclude(master_key_id=active)
        .values_list("pk", flat=True)
    )
    for customer_id in list(stragglers):
        store().rotate_customer_key(customer_id, new_key=False)
    rewrap_all()  # signing keys and audit pseudonym keys (hisho.signing.wrapping)
    if CustomerKey.objects.filter(wrapped__isnull=False).exclude(master_key_id=active).exists():
        raise RuntimeError("customer keys are still wrapped under an old master key; run again")
    if old:
        keys.retire(old)
    record_event("vault.master_keys_retired", actor=actor, extra={"retired": len(old)})
    return sorted(old)
