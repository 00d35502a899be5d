"""Who may read the audit log: admins only (a whole function: 403 for other roles)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.audit.chain import PERSON_KEYS
from hisho.audit.models import AuditEvent, AuditSubject, AuditTreeHead


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
    before_id: int | None = None


def audit_log_for(user: Any, wanted: AuditFilter) -> QuerySet[AuditEvent]:
    """The log, newest first, filtered; admins only."""
    require_admin(user)
    entries = AuditEvent.objects.order_by("-id")
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
    if wanted.before_id is not None:
        entries = entries.filter(id__lt=wanted.before_id)
    return entries


@dataclass(frozen=True)
class ChainStatus:
    length: int  # entries, integrated or not
    integrated: int  # leaves in the tree
    last_head: AuditTreeHead | None


def chain_status(user: Any) -> ChainStatus:
    require_admin(user)
    head = AuditTreeHead.objects.order_by("-size").first()
    return ChainStatus(
        length=AuditEvent.objects.count(),
        integrated=head.size if head else 0,
        last_head=head,
    )
