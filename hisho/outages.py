"""When a service Hisho hands a request to cannot take it just now (hisho.errors.Unavailable:
the mail relay, the payment provider), the person gets a 503 with Retry-After that says
what was kept and what to do — problem+json on the API and the sign-in API, a page
elsewhere — instead of the 500 of an unhandled exception.

The API's own handler (hisho.api) and this middleware, for everything outside django-ninja
(allauth's pages and headless views, Hisho's forms), answer with the same
`unavailable_response`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hisho.api_http import ALLAUTH_PREFIX, API_PREFIX
from hisho.errors import Unavailable
from hisho.problems import problem_response

logger = logging.getLogger(__name__)

# Long enough for a relay or a provider to come back from a restart; the page says
# "a few minutes" in words.
RETRY_AFTER_SECONDS = 120
# Clients that parse every answer as problem+json (API.md, "Errors").
JSON_PREFIXES = (API_PREFIX, ALLAUTH_PREFIX)


def unavailable_response(request: HttpRequest, exc: Unavailable) -> HttpResponse:
    # Only the kind of fault and its cause's class: the path can carry a one-time key
    # (an e-mail confirmation link) and the cause's text an address.
    cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "no cause"
    logger.warning("%s (%s): answered 503", type(exc).__name__, cause)
    if request.path.startswith(JSON_PREFIXES):
        response = problem_response(503, exc.detail)
    else:
        response = render(request, "503.html", {"detail": exc.detail}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Unavailable):
            return unavailable_response(request, exception)
        return None
