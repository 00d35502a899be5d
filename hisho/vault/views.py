"""The "Who saw my data" page. Thin: access → render (house rule 6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hisho.accounts.principal import principal_of
from hisho.audit.proofs import leaf_indices_for_access_log
from hisho.vault.access import ASSIGNMENT_KINDS, access_log_for


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    entries = list(access_log_for(principal_of(request))[:500])  # Forbidden: a 403 here too
    # Each read's leaf in the audit log, for its proof (None until integrated). Who was
    # given the errand is told with the desk's own audit events: no proof of that here.
    leaves = leaf_indices_for_access_log([entry.pk for entry in entries])
    rows = [
        (entry, leaves.get(entry.pk), entry.action not in ASSIGNMENT_KINDS) for entry in entries
    ]
    return render(request, "vault/access_log.html", {"entries": rows})
