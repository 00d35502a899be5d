"""The audit log page for admins: newest first, filtered, 100 entries a page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hisho.audit.access import AuditFilter, audit_log_for, chain_status
from hisho.audit.forms import AuditFilterForm

PAGE = 100


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    wanted = form.to_filter() if form.is_valid() else AuditFilter()
    # Non-admins: Forbidden, which the web answers with a 403 page.
    entries = list(audit_log_for(request.user, wanted)[: PAGE + 1])
    status = chain_status(request.user)
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    query = request.GET.copy()
    if more:
        query["before"] = str(entries[-1].pk)
    status_code = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "entries": entries,
            "status": status,
            "next_query": query.urlencode() if more else "",
        },
        status=status_code,
    )
