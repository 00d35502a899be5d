"""Reading the access log: a customer reads their own, nobody else's (house rule 2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hisho.accounts.models import Role
from hisho.errors import Forbidden
from hisho.vault.models import AccessLogEntry
from hisho.vault.policy import rules


def access_log_for(user: Any) -> QuerySet[AccessLogEntry]:
    """Every staff unseal of `user`'s data, newest first. Customers only: staff data is
    not sealed for them, so other roles lack the function (403, not an empty list)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.CUSTOMER:
        raise Forbidden("Only customers have an access log.")
    entries = AccessLogEntry.objects.filter(customer_id=user.pk)
    # Entries the person may not see *yet* (e.g. reads under a legal disclosure whose
    # notice is deferred): each registered rule may withhold some.
    for rule in rules():
        withheld = rule.withheld_entry_ids(user.pk)
        if withheld is not None:
            entries = entries.exclude(pk__in=withheld)
    return entries.order_by("-at", "-id")
