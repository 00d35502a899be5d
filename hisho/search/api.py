"""`POST /api/v1/search`: private search in one's own (customer) or held (assistant)
errands. POST, so the words searched for travel in the body and never in a request line
that servers and proxies log (docs/search.md)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from hisho.accounts.principal import principal_of
from hisho.desk.api import ErrandOut, row_out
from hisho.desk.lists import rows
from hisho.desk.tools.labels import labels_of
from hisho.schemas import StrictIn, text, with_errors
from hisho.search.access import QUERY_MAX, search_errands

router = Router(tags=["search"])


class SearchIn(StrictIn):
    q: str = text(QUERY_MAX, required=True)
    limit: int = Field(default=50, ge=1, le=50)


class SearchOut(Schema):
    items: list[ErrandOut]
    count: int


@router.post(
    "/search",
    response=with_errors({200: SearchOut}),
    exclude_unset=True,
    summary="Search your errands (customers) or the errands you hold (assistants)",
)
def search(request: HttpRequest, payload: SearchIn) -> SearchOut:
    """Errands whose title, details or chat hold every word of `q` (whole words; Japanese
    by morphological analysis), latest activity first. Customers get their errands in
    full; assistants the triage cards, as in their list. Admins and partners: 403."""
    principal = principal_of(request)
    found = search_errands(principal, payload.q, limit=payload.limit)
    labels = labels_of(e.pk for e in found)
    items = [row_out(row, labels[row.errand.pk]) for row in rows(principal, found, "en")]
    return SearchOut(items=items, count=len(items))
