"""Writing audit events. Called by every action, inside the action's transaction.

`record_event` appends one entry to the hash chain (hisho.audit.chain): it locks the
chain head, so appends from any number of threads and processes take turns and each
entry links to the one committed before it. The lock is held until the caller's
transaction ends — so record the event as the last step of an action where possible.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from hisho.audit import chain, subjects
from hisho.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditSubject
from hisho.signing.canonical import MAX_SAFE_INTEGER

# What may stand in `extra`: ids, enum values, counts and flags. Free text could carry
# personal data, so it is refused here rather than trusted to every caller.
_ALLOWED_EXTRA = (int, bool, uuid.UUID, type(None))
_MAX_EXTRA_STR = 64
# Identifiers, not prose: no spaces, no "@", nothing outside ASCII.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:,+\-]*$")


def _check_extra(extra: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in extra.items():
        if not isinstance(key, str) or not key.isascii() or len(key) > _MAX_EXTRA_STR:
            raise ValueError("audit extra keys must be short ASCII names")
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_SAFE_INTEGER:
                raise ValueError(f"audit extra {key!r} must be an id, enum value or flag")
            clean[key] = value
        elif isinstance(value, _ALLOWED_EXTRA):
            clean[key] = str(value) if isinstance(value, uuid.UUID) else value
        elif isinstance(value, str) and len(value) <= _MAX_EXTRA_STR and _IDENTIFIER.match(value):
            # Short ASCII identifiers such as statuses and roles.
            clean[key] = value
        else:
            raise ValueError(f"audit extra {key!r} must be an id, enum value or flag")
        if key in chain.PERSON_KEYS and not (
            clean[key] is None or (isinstance(clean[key], int) and not isinstance(value, bool))
        ):
            raise ValueError(f"audit extra {key!r} names a person: an integer id or None")
    return clean


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the transaction ends (PostgreSQL: SELECT … FOR UPDATE;
    SQLite: the transaction already holds the write lock, BEGIN IMMEDIATE)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # Made by migration; made again here if the table was emptied (a test flush).
        last = AuditEvent.objects.order_by("-seq").first()
        AuditChainHead.objects.bulk_create(
            [
                AuditChainHead(
                    pk=1,
                    seq=last.seq if last else 0,
                    head_hash=last.entry_hash if last else chain.GENESIS,
                )
            ],
            ignore_conflicts=True,
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record_event(
    event: str,
    *,
    actor: Any | None,
    target: models.Model | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append `event` to the audit log in the caller's transaction (or its own)."""
    if not event or len(event) > 64 or not event.isascii():
        raise ValueError("audit event names are short ASCII identifiers")
    clean = _check_extra(extra or {})
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    target_person = int(target_id) if target_type == chain.person_target_type() else None
    extra_people = {
        key: value
        for key, value in clean.items()
        if key in chain.PERSON_KEYS and isinstance(value, int)
    }
    people = {p for p in (actor_id, target_person, *extra_people.values()) if p is not None}

    with transaction.atomic():
        refs = subjects.refs_for(people)
        head = _locked_head()
        entry = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            event=event,
            actor_id=actor_id,
            actor_ref=refs[actor_id] if actor_id is not None else "",
            target_type=target_type,
            target_id=target_id,
            target_ref=refs[target_person] if target_person is not None else "",
            extra=clean,
            extra_refs={key: refs[value] for key, value in extra_people.items()},
            prev_hash=head.head_hash,
        )
        entry.entry_hash = chain.entry_hash(entry)
        entry.save(force_insert=True)
        head.seq, head.head_hash, head.updated_at = entry.seq, entry.entry_hash, entry.at
        head.save(update_fields=["seq", "head_hash", "updated_at"])
    return entry


@transaction.atomic
def do_erase_audit_subject(*, actor: Any | None, person_id: int) -> str:
    """Erasure, in the audit log: the person's plain id leaves every entry (actor, target,
    `extra`), their pseudonym stays, and their audit key is destroyed, so the pseudonym
    no longer resolves to anyone. The chain covers the pseudonym, not the id, so it still
    verifies. Returns the pseudonym.

    The person themself or an admin; called by the erasure flow as its last step (an
    event recorded for this id afterwards would start a new pseudonym). `actor` None:
    an operator at the command line.
    """
    from hisho.accounts.models import Role
    from hisho.errors import Forbidden

    if actor is not None and (
        not getattr(actor, "is_active", False)
        or (actor.pk != person_id and getattr(actor, "role", None) != Role.ADMIN)
    ):
        raise Forbidden("Only the person themself or an admin can erase them.")
    # Recorded first, so that this event's own mention of the person is erased too.
    record_event("audit.subject_erased", actor=actor, extra={"person_id": person_id})
    subject = AuditSubject.objects.select_for_update().get(user_id=person_id)
    ref = subject.ref
    AuditEvent.objects.filter(actor_ref=ref).exclude(actor_id=None).update(actor_id=None)
    AuditEvent.objects.filter(target_ref=ref).exclude(target_id="").update(target_id="")
    mentions = Q()
    for key in sorted(chain.PERSON_KEYS):
        mentions |= Q(**{f"extra__{key}": person_id})
    for entry in AuditEvent.objects.filter(mentions).only("pk", "extra", "extra_refs"):
        erased = {
            key: None if entry.extra_refs.get(key) == ref else value
            for key, value in entry.extra.items()
        }
        if erased != entry.extra:
            AuditEvent.objects.filter(pk=entry.pk).update(extra=erased)
    subject.user_id = None
    subject.wrapped_key = None
    subject.master_key_id = ""
    subject.erased_at = timezone.now()
    subject.save(update_fields=["user_id", "wrapped_key", "master_key_id", "erased_at"])
    return ref


def do_write_checkpoint(*, actor: Any | None = None) -> AuditCheckpoint | None:
    """Sign the chain's length and head hash (`hisho audit-checkpoint`, run periodically).
    None when nothing was appended since the last checkpoint."""
    from hisho.signing.actions import do_ensure_signing_key
    from hisho.signing.service import sign_document

    # Made before the head is locked: making the first key records an event itself.
    do_ensure_signing_key(actor=actor)
    with transaction.atomic():
        head = _locked_head()
        last = AuditCheckpoint.objects.order_by("-seq").first()
        if head.seq == 0 or (last is not None and last.seq >= head.seq):
            return None
        at = timezone.now()
        document = sign_document(
            {
                "type": "hisho.audit.checkpoint",
                "v": 1,
                "count": head.seq,
                "head": head.head_hash,
                "at": chain.iso_at(at),
            }
        )
        return AuditCheckpoint.objects.create(
            seq=head.seq,
            head_hash=head.head_hash,
            at=at,
            key_id=document["signature"]["key_id"],
            document=document,
        )
