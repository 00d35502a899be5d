"""Who may see which errand (house rule 2).

Two levels:
- *participant* access (owner, current assignee): full content and chat;
- *triage* access (admins: every errand; assistants: unassigned errands in the queue):
  status, age, assignee and the redacted summary only.
Missing and forbidden raise the same NotFound, so ids cannot be probed.

Every helper takes the caller's principal (hisho/accounts/principal.py), never a bare
user: staff without a passed second factor get 403 for the whole function, and anything
that is not a principal gets nothing (fail closed).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal, as_principal
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


def _fetch(errand_id: Any, *, for_write: bool) -> Errand | None:
    """The errand with its two people, or None. `get()`, not `first()`: the id is the
    primary key, and `first()`'s ORDER BY makes Django compile the three-table query
    again at about half a millisecond more on every request that opens an errand."""
    pk = _parse_id(errand_id)
    if pk is None:
        return None
    queryset = Errand.objects.select_related("assignee", "customer")
    if for_write:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=pk)
    except Errand.DoesNotExist:
        return None


def holds_errand(user: User, errand: Errand) -> bool:
    """Owner, or the *current* assignee while they still hold the assistant role (and,
    where the customer asked to approve assistants, once accepted) — the standing an
    action re-checks on its actor after the entry point's access_* call."""
    if not user.is_active:
        return False
    if errand.customer_id == user.pk and user.role == Role.CUSTOMER:
        return True
    return (
        errand.assignee_id == user.pk and user.role == Role.ASSISTANT and errand.assignee_accepted
    )


def takes_part_in(user: User, errand: Errand) -> bool:
    """Whether `user` is to be told of the errand's events (e-mail notices, Web Push):
    its owner, or its current assignee while they still hold the assistant role —
    accepted by the customer or not yet (the assignment notice is how they hear of it).
    Checked when the notice goes, not only when it was queued: a notice queued before an
    assistant was demoted or deactivated runs after it, and a done errand keeps them as
    its assignee (their open ones go back to the queue: do_release_errands_of)."""
    if not user.is_active:
        return False
    if errand.customer_id == user.pk and user.role == Role.CUSTOMER:
        return True
    return errand.assignee_id == user.pk and user.role == Role.ASSISTANT


def is_participant(principal: Principal, errand: Errand) -> bool:
    """The caller holds the errand, from a session cleared for their role."""
    if not isinstance(principal, Principal) or not principal.cleared:
        return False
    return holds_errand(principal.user, errand)


def may_triage(principal: Principal, errand: Errand) -> bool:
    if not isinstance(principal, Principal) or not principal.cleared:
        return False
    if principal.role == Role.ADMIN:
        return True
    if principal.role != Role.ASSISTANT:
        return False
    # The queue, and an assignee the customer has not accepted yet: the card only.
    in_queue = errand.assignee_id is None and errand.status == Status.NEW
    return in_queue or (errand.assignee_id == principal.pk and not errand.assignee_accepted)


def access_errand(principal: Principal, errand_id: Any, *, for_write: bool = False) -> Errand:
    """The errand, for its owner and current assignee only.

    `for_write` locks the row until the caller's transaction ends, so two state
    changes of one errand cannot interleave.
    """
    principal = as_principal(principal)
    principal.require_cleared()  # 403 for staff without a passed second factor
    errand = _fetch(errand_id, for_write=for_write)
    if errand is None or not is_participant(principal, errand):
        raise NotFound(ERRAND_NOT_FOUND)
    return errand


def access_errand_triage(
    principal: Principal, errand_id: Any, *, for_write: bool = False
) -> Errand:
    """The errand for a triage view: participants, admins, and assistants (queue only)."""
    principal = as_principal(principal)
    principal.require_cleared()
    errand = _fetch(errand_id, for_write=for_write)
    if errand is None or not (is_participant(principal, errand) or may_triage(principal, errand)):
        raise NotFound(ERRAND_NOT_FOUND)
    return errand


def errands_for(principal: Principal) -> QuerySet[Errand]:
    """The errand list a caller sees: own, assigned, or (admins) all as triage."""
    principal = as_principal(principal)
    principal.require_cleared()
    user = principal.user
    base = Errand.objects.select_related("assignee", "customer").order_by("-created_at", "-pk")
    if not user.is_active:
        return base.none()
    if user.role == Role.CUSTOMER:
        return base.filter(customer=user)
    if user.role == Role.ASSISTANT:
        return base.filter(assignee=user)
    if user.role == Role.ADMIN:
        return base
    return base.none()


def triage_queue(principal: Principal) -> QuerySet[Errand]:
    """Unassigned new errands, for assistants and admins (shown redacted)."""
    principal = as_principal(principal)
    if not principal.active or principal.role not in (Role.ASSISTANT, Role.ADMIN):
        return Errand.objects.none()
    principal.require_cleared()
    return (
        Errand.objects.filter(assignee__isnull=True, status=Status.NEW)
        .select_related("assignee", "customer")
        .order_by("created_at", "pk")
    )
