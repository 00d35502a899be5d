"""Who may see which errand (house rule 2).

Two levels:
- *participant* access (owner, current assignee): full content and chat;
- *triage* access (admins: every errand; assistants: unassigned errands in the queue):
  status, age, assignee and the redacted summary only.
Missing and forbidden raise the same NotFound, so ids cannot be probed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from hisho.accounts.mfa import require_second_factor, second_factor_ok
from hisho.accounts.models import Role, User
from hisho.desk.models import Errand, Status
from hisho.errors import NotFound

ERRAND_NOT_FOUND = "No such errand."


def _parse_id(errand_id: Any) -> uuid.UUID | None:
    if isinstance(errand_id, uuid.UUID):
        return errand_id
    try:
        return uuid.UUID(str(errand_id))
    except ValueError:
        return None


def is_participant(user: User | Any, errand: Errand) -> bool:
    """Owner, or the *current* assignee while they still hold the assistant role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not second_factor_ok(user):  # staff without a second factor: no errand at all
        return False
    if errand.customer_id == user.pk and user.role == Role.CUSTOMER:
        return True
    return errand.assignee_id == user.pk and user.role == Role.ASSISTANT


def may_triage(user: User | Any, errand: Errand) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not second_factor_ok(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.ASSISTANT and errand.assignee_id is None and errand.status == Status.NEW
    )


def access_errand(user: User | Any, errand_id: Any, *, for_write: bool = False) -> Errand:
    """The errand, for its owner and current assignee only.

    `for_write` locks the row until the caller's transaction ends, so two state
    changes of one errand cannot interleave.
    """
    require_second_factor(user)  # 403 for staff without a second factor (accounts/mfa.py)
    pk = _parse_id(errand_id)
    if pk is None:
        raise NotFound(ERRAND_NOT_FOUND)
    queryset = Errand.objects.select_related("assignee", "customer")
    if for_write:
        queryset = queryset.select_for_update(of=("self",))
    errand = queryset.filter(pk=pk).first()
    if errand is None or not is_participant(user, errand):
        raise NotFound(ERRAND_NOT_FOUND)
    return errand


def access_errand_triage(user: User | Any, errand_id: Any, *, for_write: bool = False) -> Errand:
    """The errand for a triage view: participants, admins, and assistants (queue only)."""
    require_second_factor(user)
    pk = _parse_id(errand_id)
    if pk is None:
        raise NotFound(ERRAND_NOT_FOUND)
    queryset = Errand.objects.select_related("assignee")
    if for_write:
        queryset = queryset.select_for_update(of=("self",))
    errand = queryset.filter(pk=pk).first()
    if errand is None or not (is_participant(user, errand) or may_triage(user, errand)):
        raise NotFound(ERRAND_NOT_FOUND)
    return errand


def errands_for(user: User) -> QuerySet[Errand]:
    """The errand list a user sees: own, assigned, or (admins) all as triage."""
    require_second_factor(user)
    base = Errand.objects.select_related("assignee").order_by("-created_at", "-pk")
    if not user.is_active:
        return base.none()
    if user.role == Role.CUSTOMER:
        return base.filter(customer=user)
    if user.role == Role.ASSISTANT:
        return base.filter(assignee=user)
    if user.role == Role.ADMIN:
        return base
    return base.none()


def triage_queue(user: User) -> QuerySet[Errand]:
    """Unassigned new errands, for assistants and admins (shown redacted)."""
    if not user.is_active or user.role not in (Role.ASSISTANT, Role.ADMIN):
        return Errand.objects.none()
    require_second_factor(user)
    return (
        Errand.objects.filter(assignee__isnull=True, status=Status.NEW)
        .select_related("assignee")
        .order_by("created_at", "pk")
    )
