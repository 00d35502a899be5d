"""Reading the access log: the one place that does (tests/architecture checks it), so a
person sees the same entries on the page, in the API, on My data and in the export.

A customer reads their own, nobody else's (house rule 2); entries a registered rule
withholds for now (reads under a legal disclosure whose notice is deferred) are left out
everywhere until they may be shown."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hisho.accounts.models import Role
from hisho.accounts.principal import Principal, as_principal
from hisho.errors import Forbidden
from hisho.vault.models import AccessAction, AccessLogEntry
from hisho.vault.policy import rules


def visible_entries(customer_id: int) -> QuerySet[AccessLogEntry]:
    """Every staff unseal of the person's data they may see now, newest first."""
    entries = AccessLogEntry.objects.filter(customer_id=customer_id)
    for rule in rules():
        withheld = rule.withheld_entry_ids(customer_id)
        if withheld is not None:
            entries = entries.exclude(pk__in=withheld)
    return entries.order_by("-at", "-id")


def access_log_for(principal: Principal) -> QuerySet[AccessLogEntry]:
    """The caller's own access log. Customers only: staff data is not sealed for them,
    so other roles lack the function (403, not an empty list)."""
    principal = as_principal(principal)
    if not principal.active or principal.role != Role.CUSTOMER:
        raise Forbidden("Only customers have an access log.")
    return visible_entries(principal.pk)


def own_entries_for_export(principal: Principal) -> list[AccessLogEntry]:
    """The caller's access log for My data and the export: oldest first; empty for roles
    that have none."""
    principal = as_principal(principal)
    if principal.role != Role.CUSTOMER:
        return []
    return list(visible_entries(principal.pk).order_by("at", "id"))


ASSIGNMENT_KINDS = (AccessAction.ASSIGNED, AccessAction.ACCEPTED, AccessAction.UNASSIGNED)


def assignment_history(principal: Principal, errand: Any) -> list[AccessLogEntry]:
    """Who was given, accepted or lost this errand, oldest first — for its customer's
    errand page (the same entries as their access log); empty for anyone else."""
    principal = as_principal(principal)
    if principal.role != Role.CUSTOMER or errand.customer_id != principal.pk:
        return []
    entries = visible_entries(principal.pk).filter(errand_id=errand.pk, action__in=ASSIGNMENT_KINDS)
    return list(entries.order_by("at", "id"))
