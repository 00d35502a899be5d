"""Where a form may send the browser back to: a path on this site, nothing else.

Forms carry `next` (the page to return to). It must be a local path — "/…", not "//host"
or "/\\host", which browsers read as another site — and Django's check must pass too.
Anything else, including a bare word that `redirect()` would try to reverse as a URL name
(a 500), falls back to the form's own page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def local_path(request: HttpRequest, target: str) -> str | None:
    """`target` if it is a path on this site, else None."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target


def back_to(request: HttpRequest, target: str, fallback: str) -> HttpResponseRedirect:
    """A redirect to `target` if it is a local path, else to `fallback` (a URL name or
    path of Hisho's own)."""
    return HttpResponseRedirect(local_path(request, target) or resolve_url(fallback))
