"""Who may read the audit log: admins only (a whole function: 403 for other roles)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.audit.chain import PERSON_KEYS
from hisho.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditSubject


def require_admin(user: Any) -> None:
    require_role(user, Role.ADMIN, detail="Only admins can read the audit log.")


@dataclass(frozen=True)
class AuditFilter:
    event: str = ""  # exact name, or a prefix ending in "." ("errand.")
    person: int | None = None  # as actor, as target, or in extra
    pseudonym: str = ""  # an erased person's pseudonym (or anyone's ref)
    target_type: str = ""
    target_id: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before_seq: int | None = None


def audit_log_for(user: Any, wanted: AuditFilter) -> QuerySet[AuditEvent]:
    """The log, newest first, filtered; admins only."""
    require_admin(user)
    entries = AuditEvent.objects.order_by("-seq")
    if wanted.event:
        if wanted.event.endswith("."):
            entries = entries.filter(event__startswith=wanted.event)
        else:
            entries = entries.filter(event=wanted.event)
    refs = []
    if wanted.person is not None:
        ref = (
            AuditSubject.objects.filter(user_id=wanted.person).values_list("ref", flat=True).first()
        )
        refs.append(ref or "-")
    if wanted.pseudonym:
        refs.append(wanted.pseudonym)
    for ref in refs:
        mentions = Q(actor_ref=ref) | Q(target_ref=ref)
        for key in sorted(PERSON_KEYS):
            mentions |= Q(**{f"extra_refs__{key}": ref})
        entries = entries.filter(mentions)
    if wanted.target_type:
        entries = entries.filter(target_type=wanted.target_type)
    if wanted.target_id:
        entries = entries.filter(target_id=wanted.target_id)
    if wanted.since is not None:
        entries = entries.filter(at__gte=wanted.since)
    if wanted.until is not None:
        entries = entries.filter(at__lt=wanted.until)
    if wanted.before_seq is not None:
        entries = entries.filter(seq__lt=wanted.before_seq)
    return entries


@dataclass(frozen=True)
class ChainStatus:
    length: int
    head_hash: str
    last_checkpoint: AuditCheckpoint | None


def chain_status(user: Any) -> ChainStatus:
    require_admin(user)
    head = AuditChainHead.objects.filter(pk=1).first()
    return ChainStatus(
        length=head.seq if head else 0,
        head_hash=head.head_hash if head else "",
        last_checkpoint=AuditCheckpoint.objects.order_by("-seq").first(),
    )
