"""Reading the access log: a customer reads their own, nobody else's (house rule 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from hisho.accounts.models import Role
from hisho.errors import Forbidden
from hisho.vault.models import AccessLogEntry

# Entries the person may not see *yet*: reads under a legal disclosure whose notice is
# deferred (hisho.legal registers the query; the entries appear once notice is given).
WITHHELD: list[Callable[[int], Any]] = []


def access_log_for(user: Any) -> QuerySet[AccessLogEntry]:
    """Every staff unseal of `user`'s data, newest first. Customers only: staff data is
    not sealed for them, so other roles lack the function (403, not an empty list)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.CUSTOMER:
        raise Forbidden("Only customers have an access log.")
    entries = AccessLogEntry.objects.filter(customer_id=user.pk)
    for withheld in WITHHELD:
        entries = entries.exclude(pk__in=withheld(user.pk))
    return entries.order_by("-at", "-id")
