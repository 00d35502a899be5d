"""The "Who saw my data" page. Thin: access → render (house rule 6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hisho.accounts.principal import principal_of
from hisho.vault.access import access_log_for


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    entries = access_log_for(principal_of(request))  # Forbidden is a 403 on the web too
    return render(request, "vault/access_log.html", {"entries": entries[:500]})
