"""People as the audit log knows them: a per-person key, and the pseudonym (`ref`) it
makes of their id. See hisho.audit.models.AuditSubject and docs/audit.md.

The key is wrapped under the vault's master key (hisho.signing.wrapping), bound to the
person's id; `ref` is HMAC-SHA256(key, id). Writing an event needs only `ref` (one
indexed read per person); the verifier opens the keys to check that each plain id in
the log is the one its commitment was made for.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hisho.audit.chain import commitment
from hisho.signing.wrapping import (
    SecretUnavailable,
    WrappedSecrets,
    register,
    unwrap_secret,
    wrap_secret,
)
from hisho.vault.keyring import master_keys


def subject_key_aad(user_id: int) -> bytes:
    return f"hisho-audit-subject-key/1|user={int(user_id)}".encode()


@dataclass(frozen=True)
class NewSubject:
    ref: str
    master_key_id: str
    wrapped_key: bytes


def new_subject(user_id: int) -> NewSubject:
    key = secrets.token_bytes(32)
    master_key_id, wrapped = wrap_secret(key, subject_key_aad(user_id))
    return NewSubject(commitment(key, user_id), master_key_id, wrapped)


def refs_for(user_ids: Iterable[int], subject_model: Any = None) -> dict[int, str]:
    """The pseudonym of each person, making a subject (and its key) on first use. Safe
    under concurrent first uses: the loser of the race reads the winner's row."""
    if subject_model is None:
        from hisho.audit.models import AuditSubject as subject_model
    wanted = {int(user_id) for user_id in user_ids}
    if not wanted:
        return {}
    found: dict[int, str] = dict(
        subject_model.objects.filter(user_id__in=wanted).values_list("user_id", "ref")
    )
    for user_id in sorted(wanted - set(found)):
        new = new_subject(user_id)
        try:
            with transaction.atomic():
                subject_model.objects.create(
                    ref=new.ref,
                    user_id=user_id,
                    master_key_id=new.master_key_id,
                    wrapped_key=new.wrapped_key,
                    created_at=timezone.now(),
                )
            found[user_id] = new.ref
        except IntegrityError:
            found[user_id] = subject_model.objects.get(user_id=user_id).ref
    return found


def subject_key(subject: Any) -> bytes:
    """The person's audit key (SecretUnavailable when erased, moved or tampered)."""
    if subject.user_id is None or subject.wrapped_key is None:
        raise SecretUnavailable("key_destroyed")
    return unwrap_secret(
        subject.master_key_id, subject.wrapped_key, subject_key_aad(subject.user_id)
    )


@dataclass
class SubjectBook:
    """What the verifier knows of the people in the log, checked against their keys."""

    ref_of: dict[int, str] = field(default_factory=dict)  # live person id → ref
    erased: set[str] = field(default_factory=set)  # refs of erased people
    bad: dict[str, str] = field(default_factory=dict)  # ref → why it is not trusted


def load_subjects() -> SubjectBook:
    from hisho.audit.models import AuditSubject

    book = SubjectBook()
    for subject in AuditSubject.objects.order_by("ref").iterator(chunk_size=1000):
        if subject.erased_at is not None:
            if subject.user_id is not None or subject.wrapped_key is not None:
                book.bad[subject.ref] = "an erased person's id or key is still stored"
            book.erased.add(subject.ref)
            continue
        try:
            key = subject_key(subject)
        except SecretUnavailable as exc:
            book.bad[subject.ref] = f"the person's audit key does not open ({exc})"
            continue
        user_id = int(subject.user_id or 0)
        if commitment(key, user_id) != subject.ref:
            book.bad[subject.ref] = "the person's id does not match their pseudonym"
            continue
        book.ref_of[user_id] = subject.ref
    return book


def resolve(ref: str) -> int | None:
    """The person id behind a pseudonym, or None (unknown, or erased: it no longer
    resolves). Checked against the person's key, not just read from the row."""
    from hisho.audit.models import AuditSubject

    subject = AuditSubject.objects.filter(ref=ref).first()
    if subject is None or subject.user_id is None:
        return None
    try:
        key = subject_key(subject)
    except SecretUnavailable:
        return None
    return int(subject.user_id) if commitment(key, int(subject.user_id)) == ref else None


# --- master key rotation ------------------------------------------------------------------


def _master_key_ids() -> set[str]:
    from hisho.audit.models import AuditSubject

    return set(
        AuditSubject.objects.filter(wrapped_key__isnull=False)
        .values_list("master_key_id", flat=True)
        .distinct()
    )


def _rewrap() -> int:
    from hisho.audit.models import AuditSubject

    active = master_keys().active_key_id()
    count = 0
    pending = (
        AuditSubject.objects.filter(wrapped_key__isnull=False)
        .exclude(master_key_id=active)
        .values_list("ref", flat=True)
    )
    for ref in list(pending):
        with transaction.atomic():
            subject = AuditSubject.objects.select_for_update().get(ref=ref)
            if subject.wrapped_key is None or subject.user_id is None:
                continue
            key = subject_key(subject)
            subject.master_key_id, subject.wrapped_key = wrap_secret(
                key, subject_key_aad(subject.user_id)
            )
            subject.save(update_fields=["master_key_id", "wrapped_key"])
            count += 1
    return count


register(WrappedSecrets("audit pseudonym keys", _master_key_ids, _rewrap))
