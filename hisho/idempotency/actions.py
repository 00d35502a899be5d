"""Claiming, completing, releasing and expiring Idempotency-Keys (house rule 1).

Not audited: like connection records, these are bookkeeping of requests whose own
actions (the errand created, the message posted) write the audit events that matter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from hisho.accounts.models import User
from hisho.errors import Conflict, InvalidInput
from hisho.idempotency.models import IdempotencyRecord, State

# How long a key's first answer is replayed (API.md: 24 h).
REPLAY_WINDOW = dt.timedelta(hours=24)
# How long a claim stays with the try that made it. A try that died with its process is
# taken over after this (fenced: it can no longer complete); a live retry meanwhile is 409.
LEASE = dt.timedelta(seconds=10)
HEADER = "Idempotency-Key"


class KeyInUse(Conflict):
    """409: the first request with this key has not finished."""

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry shortly."
        )


class KeyReused(InvalidInput):
    """422: the key was used for a different request."""

    def __init__(self) -> None:
        super().__init__(HEADER, "This key was already used for a different request.")


@dataclass(frozen=True)
class Claim:
    record_id: int
    attempt: int
    # (status, created object's id) when the key was already answered: replay it.
    answered: tuple[int, str] | None = None


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Keyed, so a stored fingerprint says nothing about a short body."""
    data = method.encode() + b" " + path.encode() + b"\n" + body
    return salted_hmac("hisho.idempotency", data, algorithm="sha256").hexdigest()


def key_digest(key: str) -> str:
    """How a key is kept: a keyed hash. A client can put anything in the header, a card
    number included, and nothing needs the key itself back."""
    return salted_hmac("hisho.idempotency.key", key, algorithm="sha256").hexdigest()


@transaction.atomic
def do_claim_idempotency_key(
    *, actor: User, key: str, fingerprint: str, now: dt.datetime | None = None
) -> Claim:
    """Claim `key` for this request, or learn that it was answered (replay it), or raise
    KeyReused (another request) / KeyInUse (still running). Commits on its own, before
    the request's work starts, so a concurrent retry sees the claim."""
    now = now or timezone.now()
    key = key_digest(key)
    record = IdempotencyRecord.objects.select_for_update().filter(user=actor, key=key).first()
    if record is not None and record.created_at <= now - REPLAY_WINDOW:
        record.delete()  # expired: the key is free again
        record = None
    if record is None:
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=actor,
                    key=key,
                    fingerprint=fingerprint,
                    lease_until=now + LEASE,
                    created_at=now,
                )
        except IntegrityError:  # a concurrent first request claimed it a moment ago
            raise KeyInUse() from None
        return Claim(record_id=record.pk, attempt=record.attempt)
    if record.fingerprint != fingerprint:
        raise KeyReused()
    if record.state == State.DONE:
        status = record.status_code or 201
        return Claim(record.pk, record.attempt, answered=(status, record.resource_id))
    if record.lease_until > now:
        raise KeyInUse()
    # The try holding the claim is gone (its process died): take over, fenced.
    record.attempt += 1
    record.lease_until = now + LEASE
    record.save(update_fields=["attempt", "lease_until"])
    return Claim(record_id=record.pk, attempt=record.attempt)


@transaction.atomic
def do_complete_idempotency_key(*, claim: Claim, status_code: int, resource_id: str) -> None:
    """Record the answer. Call it inside the request's own transaction, after its write:
    both commit together or neither does. A try whose claim was taken over raises
    KeyInUse here, which rolls its write back."""
    completed = IdempotencyRecord.objects.filter(
        pk=claim.record_id, attempt=claim.attempt, state=State.RUNNING
    ).update(state=State.DONE, status_code=status_code, resource_id=resource_id[:64])
    if not completed:
        raise KeyInUse()


@transaction.atomic
def do_release_idempotency_key(*, claim: Claim) -> None:
    """The request failed (nothing was written): the key is free for a retry."""
    IdempotencyRecord.objects.filter(
        pk=claim.record_id, attempt=claim.attempt, state=State.RUNNING
    ).delete()


@transaction.atomic
def do_expire_idempotency_records(*, now: dt.datetime | None = None) -> int:
    """Delete records older than policy.yaml's `retention.idempotency` (the privacy
    retention job runs it daily). Returns how many were deleted."""
    from hisho.privacy.policy import current_policy

    days = current_policy().retention["idempotency"].delete_after_days or 1
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return int(deleted)
