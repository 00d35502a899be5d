"""Writing audit events. Called by every action, inside the action's transaction.

`record_event` inserts one entry with its own leaf hash (hisho.audit.chain) and takes no
shared lock: appends from any number of threads and processes never wait for each other.
The sequencer (hisho.audit.sequencer, hisho.audit.tree) later folds committed entries
into the Merkle tree and signs a tree head; a rolled-back action leaves nothing to fold.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from hisho.audit import chain, subjects
from hisho.audit.models import AuditEvent, AuditSubject, AuditTreeHead
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


def record_event(
    event: str,
    *,
    actor: Any | None,
    target: models.Model | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append `event` to the audit log in the caller's transaction (or its own)."""
    (entry,) = record_events([(event, actor, target, extra)])
    return entry


Event = tuple[str, Any | None, models.Model | None, dict[str, Any] | None]


def record_events(events: list[Event]) -> list[AuditEvent]:
    """Append several events (event, actor, target, extra) with one INSERT, each its own
    leaf: a request that read ten customers' errands leaves each customer an entry to
    verify, at the cost of one statement."""
    prepared = []
    people: set[int] = set()
    for event, actor, target, extra in events:
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
        people |= {p for p in (actor_id, target_person, *extra_people.values()) if p is not None}
        prepared.append(
            (event, actor_id, target_type, target_id, target_person, clean, extra_people)
        )

    # One INSERT, in the caller's transaction (or autocommit): no savepoint, no lock.
    refs = subjects.refs_for(people)
    now = timezone.now()
    entries = []
    for event, actor_id, target_type, target_id, target_person, clean, extra_people in prepared:
        entry = AuditEvent(
            version=chain.SALTED_VERSION,
            salt=chain.new_salt(),
            at=now,
            event=event,
            actor_id=actor_id,
            actor_ref=refs[actor_id] if actor_id is not None else "",
            target_type=target_type,
            target_id=target_id,
            target_ref=refs[target_person] if target_person is not None else "",
            extra=clean,
            extra_refs={key: refs[value] for key, value in extra_people.items()},
        )
        entry.leaf_hash = chain.leaf_hash(entry)
        entries.append(entry)
    if len(entries) == 1:
        entries[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(entries)
    return entries


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


def do_write_checkpoint(*, actor: Any | None = None) -> AuditTreeHead | None:
    """Integrate every committed entry not yet in the tree and sign the new tree head
    (`hisho audit-checkpoint`; the sequencer does the same continuously). None when the
    latest signed head already covers every entry."""
    from hisho.audit.tree import integrate_all

    return integrate_all()
