"""The errand lists, for pages and API alike: filter by status, sort by creation or last
activity, page; each row with its unread count (participants) and response-time clocks
(staff). A page costs the same number of queries whatever its length: the unread counts
are one subquery, the clocks one query of message times and authors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db.models import QuerySet

from hisho.accounts.models import Role
from hisho.accounts.principal import Principal
from hisho.desk.access import errands_for
from hisho.desk.clocks import Clocks, clocks_for
from hisho.desk.content import ErrandContent, read_own_contents
from hisho.desk.models import Errand
from hisho.desk.triage import TriageCard, triage_cards
from hisho.inbox.unread import with_unread

# Newest first by default (API.md: "list, newest first"); `activity`: the errand where
# something last happened (a message, a status or assignment change) first.
SORTS = {"created": ("-created_at", "-pk"), "activity": ("-updated_at", "-pk")}
DEFAULT_SORT = "created"


@dataclass
class Row:
    errand: Errand
    card: TriageCard
    content: ErrandContent | None  # the customer's own errands only
    unread: int | None
    clocks: Clocks | None
    labels: list[str] = field(default_factory=list)  # names, in the reader's language


def errand_list(
    principal: Principal, *, status: str | None = None, sort: str = DEFAULT_SORT
) -> QuerySet[Errand]:
    """The caller's errands (hisho.desk.access.errands_for), filtered and sorted, with
    unread counts for the people who read them (customers, assistants)."""
    errands = errands_for(principal)
    if status:
        errands = errands.filter(status=status)
    errands = errands.order_by(*SORTS[sort])
    if principal.role in (Role.CUSTOMER, Role.ASSISTANT):
        errands = with_unread(errands, principal.user)
    return errands


def _reads_chat(principal: Principal, errand: Errand) -> bool:
    if principal.role == Role.CUSTOMER:
        return errand.customer_id == principal.pk
    return errand.assignee_id == principal.pk and errand.assignee_accepted


def rows(principal: Principal, page: list[Errand], language: str | None = None) -> list[Row]:
    cards = triage_cards(page, language)
    contents = read_own_contents(principal, page)
    staff = principal.role in (Role.ASSISTANT, Role.ADMIN)
    clocks: dict[uuid.UUID, Clocks] = clocks_for(page) if staff else {}
    return [
        Row(
            errand=e,
            card=cards[e.pk],
            content=contents.get(e.pk),
            unread=getattr(e, "unread", None) if _reads_chat(principal, e) else None,
            clocks=clocks.get(e.pk),
        )
        for e in page
    ]
