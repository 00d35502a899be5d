"""Nothing answered to a signed-in request is kept by a cache, shared or the browser's.

Pages and API answers carried no Cache-Control: a shared cache in front of the API
(Varnish passes only requests with `Authorization` or `Cookie` by default, and the app
signs in with `X-Session-Token`) could have kept one customer's sealed fields and served
them to the next client, and browsers kept private pages after sign-out though the offline
page promises that nothing of them stays on the device. A response to a request that
carries a credential — the session cookie, an app token, an Authorization header — gets
`Cache-Control: private, no-store` unless its view chose a policy itself (attachments'
downloads, public proofs). Static files are answered before this middleware runs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

NO_STORE = "private, no-store"


def carries_credential(request: HttpRequest) -> bool:
    return (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or "X-Session-Token" in request.headers
        or "Authorization" in request.headers
    )


class NoStoreForSignedIn:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and carries_credential(request):
            response["Cache-Control"] = NO_STORE
        return response
