"""Who may search which errands, and the search itself (house rules 2 and 9).

A customer searches their own errands, an assistant the errands they hold (assigned and,
where the customer asked to approve assistants, accepted). Admins and partners have no
search over customer content: the whole function is refused (403), so nothing about an
errand's words is ever answered to them.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.accounts.principal import Principal, as_principal
from hisho.desk.models import Errand
from hisho.inbound import scrub
from hisho.search.keys import digests, open_keys
from hisho.search.models import ErrandSearchKey, SearchToken
from hisho.search.tokens import tokens

QUERY_MAX = 200
# More words than this in one query are ignored (each costs a digest per errand).
TERMS_MAX = 12


def searchable_errands(principal: Principal) -> QuerySet[Errand]:
    """The errands the caller may search: own (customers), held (assistants)."""
    principal = as_principal(principal)
    require_role(
        principal,
        Role.CUSTOMER,
        Role.ASSISTANT,
        detail="Search is for customers and assistants, over their own errands.",
    )
    principal.require_cleared()
    user = principal.user
    base = Errand.objects.select_related("assignee", "customer")
    if not user.is_active:
        return base.none()
    if user.role == Role.CUSTOMER:
        return base.filter(customer=user)
    return base.filter(assignee=user, assignee_accepted=True)


def query_terms(query: str) -> list[str]:
    """The tokens of a query, read like indexed text: checked like any text a client
    sends (a clear 4xx for control characters or oversize), cards masked as they were
    before indexing, so a card number finds nothing."""
    return tokens(scrub("q", query, max_length=QUERY_MAX, required=True).text)[:TERMS_MAX]


def search_errands(principal: Principal, query: str, *, limit: int = 50) -> list[Errand]:
    """Errands holding every word of `query`, latest activity first. A fixed number of
    queries whatever the number of errands (keys opened in one load)."""
    errands = searchable_errands(principal)
    terms = query_terms(query)
    if not terms:
        return []
    rows = list(
        ErrandSearchKey.objects.filter(errand__in=errands.values("pk")).values_list(
            "errand_id", "errand__customer_id", "sealed_key"
        )
    )
    wanted = {errand_id: digests(key, terms) for errand_id, key in open_keys(rows).items()}
    if not wanted:
        return []
    every = set().union(*wanted.values())
    found: dict[object, set[int]] = defaultdict(set)
    for errand_id, digest in SearchToken.objects.filter(
        errand__in=errands.values("pk"), digest__in=sorted(every)
    ).values_list("errand_id", "digest"):
        found[errand_id].add(digest)
    hits = [errand_id for errand_id, need in wanted.items() if need <= found[errand_id]]
    return list(errands.filter(pk__in=hits).order_by("-updated_at", "-pk")[:limit])
