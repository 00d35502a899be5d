"""The audit log: who did what to which object, by id only (house rule 5), as a
transparency log — an RFC 6962 Merkle tree with signed tree heads (docs/audit.md).

- `AuditEvent` rows are appended by `record_event` only, each with its own `leaf_hash`
  computed in the writer's transaction and no shared lock: appends never wait for each
  other. The hash covers the entry's fields, except that every *person* id in it (the
  actor, a person as target, person ids in `extra`) is covered as a keyed commitment
  (`*_ref`), not as the id itself: erasure can remove the plain ids and the tree still
  verifies. `leaf_index` is NULL until the sequencer integrates the entry.
- `AuditTreeNode`: every perfect subtree hash of the tree (level 0 = the leaves), so any
  proof is one query.
- `AuditTreeHead`: the signed tree heads — C2SP checkpoints (signed notes), one per batch.
- `AuditSubject` holds, per person, the key of their commitments (wrapped under the
  master key) and their pseudonym `ref`; erasure destroys the key and forgets the id.
- `AuditCheckpoint`: the signed (count, chain head) pairs of the hash chain this log was
  before it became a tree; kept and still verified (the chain's entries are the tree's
  first leaves, version 1).

On PostgreSQL, triggers refuse DELETE on events, nodes, heads and checkpoints, UPDATE on
nodes, heads and checkpoints, and every UPDATE of an event except the sequencer's setting
of `leaf_index` (once) and erasure's removal of plain person ids.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone


class AuditEvent(models.Model):
    # Position in the Merkle tree (0, 1, 2, …), set once by the sequencer.
    leaf_index = models.BigIntegerField(null=True, blank=True, unique=True)
    # 1: an entry of the former hash chain (its document has "seq" and "prev");
    # 2: appended to the tree directly; 3: appended to the tree, salted (hisho.audit.chain).
    version = models.PositiveSmallIntegerField(default=3)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    event = models.CharField(max_length=64, db_index=True)
    # Plain ids, for queries; None / "" once the person they name was erased.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # Ids and enum values only: record_event refuses anything else.
    extra = models.JSONField(default=dict, blank=True)
    # Commitments to person ids (AuditSubject.ref): what the hash covers in their place.
    actor_ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    target_ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    extra_refs = models.JSONField(default=dict, blank=True)
    # Version 1 only: the chain hash of the entry before it (part of its document).
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    # Version 3: 128 random bits (hex) in the hashed document, so that a public leaf
    # cannot be confirmed by guessing what an entry that names nobody says. Never served
    # but to the customer whose access-log entry it is.
    salt = models.CharField(max_length=32, blank=True, default="")
    # RFC 6962 leaf hash of the entry's document, hex.
    leaf_hash = models.CharField(max_length=64)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        indexes: ClassVar[list[models.Index]] = [
            # What the sequencer has yet to integrate: a small index, whatever the log's size.
            models.Index(
                fields=["id"], condition=Q(leaf_index__isnull=True), name="audit_event_pending"
            ),
            # "Who saw my data" entries → their leaves.
            models.Index(
                KT("extra__access_log_id"),
                condition=Q(event="vault.staff_unsealed"),
                name="audit_event_access_log",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class AuditTreeNode(models.Model):
    """The hash of one perfect subtree: `key` = level << 56 | index (hisho.audit.tree)."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField()

    def __str__(self) -> str:
        return f"Tree node {self.key >> 56}/{self.key & ((1 << 56) - 1)}"


class AuditTreeHead(models.Model):
    """A signed tree head: the C2SP checkpoint the sequencer signed for `size` leaves."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)  # hex
    at = models.DateTimeField(default=timezone.now)
    key_id = models.CharField(max_length=32)
    note = models.TextField()  # the signed note, exactly as served

    class Meta:
        ordering: ClassVar[list[str]] = ["size"]

    def __str__(self) -> str:
        return f"Signed tree head at {self.size}"


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
    """The former hash chain's length and head hash at one moment, signed (hisho.signing).
    Written before the log became a tree; no new ones are made."""

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
