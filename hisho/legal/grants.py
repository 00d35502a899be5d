"""The disclosure grant, as the vault sees it (the rule hisho.legal registers with
hisho.vault.policy).

An approved case's export unseals the person's data through the vault like any other
read, as a `DisclosureReader`: the admin producing the export, acting under the case's
grant. Before every unseal the vault asks `permits_unseal`, which re-reads the grant and
the case from the database: the case must be approved, the grant issued and unexpired and
not revoked, the customer the case's person, the reader one of the case's two admins
(still an active admin), the data in a category of the scope. Each read is written to
the person's access log by the vault and linked here, withheld until notice is given.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal
from hisho.legal.models import CaseStatus, Category, DisclosureGrant, DisclosureRead
from hisho.vault.policy import Reader, UnsealRule


def grant_is_active(grant: DisclosureGrant, *, now: Any = None) -> bool:
    now = now or timezone.now()
    return (
        grant.revoked_at is None
        and grant.issued_at <= now < grant.expires_at
        and grant.case.status in (CaseStatus.APPROVED, CaseStatus.DISCLOSED)
        and grant.case.person_id is not None
    )


class DisclosureReader:
    """`principal` (an admin) producing the export of `grant`'s case: a grant reader
    (hisho.vault.policy.GrantReader)."""

    def __init__(self, grant: DisclosureGrant, principal: Principal) -> None:
        self.grant_id = grant.pk
        self.case_id = grant.case_id
        self.principal = principal
        self.user = principal.user
        self.reads = 0

    @property
    def pk(self) -> int:
        # Audit events about this read (e.g. a value that did not open) name the admin.
        return int(self.user.pk)

    def permits_unseal(self, customer_id: int, errand_id: uuid.UUID | None) -> bool:
        from hisho.desk.models import Errand

        grant = DisclosureGrant.objects.select_related("case").filter(pk=self.grant_id).first()
        if grant is None or grant.case_id != self.case_id or not grant_is_active(grant):
            return False
        case = grant.case
        actor = User.objects.filter(pk=self.user.pk, is_active=True, role=Role.ADMIN).first()
        if actor is None or actor.pk not in (case.opened_by_id, case.decided_by_id):
            return False
        if case.person_id != customer_id:
            return False
        if errand_id is None:
            return Category.PROFILE in case.categories
        if not ({Category.ERRANDS, Category.MESSAGES} & set(case.categories)):
            return False
        return Errand.objects.filter(pk=errand_id, customer_id=customer_id).exists()

    def unsealed(self, entry: Any) -> None:
        from hisho.legal.actions import do_record_disclosure_read

        do_record_disclosure_read(reader=self, entry=entry)
        self.reads += 1


def withheld_access_entries(customer_id: int) -> QuerySet[DisclosureRead, Any]:
    """Access-log entries of `customer_id` the person may not see yet: reads under a case
    whose notice has not gone out (registered with hisho.vault.access)."""
    return DisclosureRead.objects.filter(
        access_entry__customer_id=customer_id, case__notified_at__isnull=True
    ).values("access_entry_id")


class DisclosureGrants(UnsealRule):
    """hisho.legal's rule with the vault: what an active grant covers opens for its
    disclosure reader; reads under a case whose notice is deferred stay out of the
    person's access log until notice is given."""

    def standing(self, reader: Any, customer_id: int, errand_id: uuid.UUID | None) -> Reader | None:
        if isinstance(reader, DisclosureReader) and reader.permits_unseal(customer_id, errand_id):
            return Reader.GRANTEE
        return None

    def withheld_entry_ids(self, customer_id: int) -> Any:
        return withheld_access_entries(customer_id)
