"""The search box of the errand list: POST, so the words never enter a URL (browser
history, access logs, Referer). Thin: parse → search (access) → render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from hisho.accounts.principal import principal_of
from hisho.desk import lists
from hisho.desk.forms import SearchForm
from hisho.errors import InvalidInput
from hisho.search.access import search_errands, searchable_errands


@require_POST
@login_required
def errand_search(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    searchable_errands(principal)  # 403 for admins and partners, before anything else
    form = SearchForm(request.POST)
    found = []
    status = 200
    if form.is_valid():
        try:
            found = search_errands(principal, form.cleaned_data["q"])
        except InvalidInput as exc:
            form.add_error("q", exc.message)
    if form.errors:
        status = 400
    context = {
        "search_form": form,
        "query": request.POST.get("q", "")[:200],
        "rows": lists.rows(principal, found),
    }
    return render(request, "desk/errand_list.html", context, status=status)
