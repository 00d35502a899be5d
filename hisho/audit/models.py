"""The audit log: who did what to which object, by id only (house rule 5), as a hash chain
(docs/audit.md).

- `AuditEvent` rows are appended by `record_event` only. Each carries its place in the
  chain (`seq`, 1, 2, 3, …), the hash of the entry before it and its own hash. The hash
  covers the entry's fields, except that every *person* id in it (the actor, a person
  as target, person ids in `extra`) is covered as a keyed commitment (`*_ref`), not as
  the id itself. Erasure can then remove the plain ids without breaking the chain.
- `AuditChainHead` is the one row appends lock to take turns (position and hash of the
  last entry).
- `AuditSubject` holds, per person, the key of their commitments (wrapped under the
  master key) and their pseudonym `ref`; erasure destroys the key and forgets the id.
- `AuditCheckpoint`: signed (count, head hash) pairs written periodically.

On PostgreSQL, triggers refuse DELETE on events and checkpoints, UPDATE on checkpoints,
and every UPDATE of an event except erasure's removal of plain person ids.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    # Position in the chain: 1, 2, 3, … with no gaps.
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    event = models.CharField(max_length=64, db_index=True)
    # Plain ids, for queries; None / "" once the person they name was erased.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # Ids and enum values only: record_event refuses anything else.
    extra = models.JSONField(default=dict, blank=True)
    # Commitments to person ids (AuditSubject.ref): what the chain covers in their place.
    actor_ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    target_ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    extra_refs = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering: ClassVar[list[str]] = ["seq"]

    def __str__(self) -> str:
        return f"{self.event} #{self.seq}"


class AuditChainHead(models.Model):
    """The single row (pk 1) every append locks: the chain's length and last hash."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Audit chain head at {self.seq}"


class AuditSubject(models.Model):
    """A person as the audit log knows them: `ref` = HMAC-SHA256(key, their id).

    While the person exists, `user_id` and the wrapped key let the verifier check that
    every plain id in the log matches its commitment. Erasure sets `user_id`,
    `wrapped_key` and `master_key_id` to nothing: `ref` stays in the log as a pseudonym
    that nothing can link to an id any more.
    """

    ref = models.CharField(max_length=64, primary_key=True)
    user_id = models.BigIntegerField(null=True, blank=True, unique=True)
    master_key_id = models.CharField(max_length=32, blank=True, default="")
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Audit subject {self.ref[:12]}"

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


class AuditCheckpoint(models.Model):
    """The chain's length and head hash at one moment, signed (hisho.signing)."""

    seq = models.BigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)
    key_id = models.CharField(max_length=32)
    # The signed document: {"payload": {type, v, count, head, at}, "signature": {…}}.
    document = models.JSONField()

    class Meta:
        ordering: ClassVar[list[str]] = ["seq"]

    def __str__(self) -> str:
        return f"Audit checkpoint at {self.seq}"
