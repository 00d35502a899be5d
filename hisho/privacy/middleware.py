"""Two middlewares (docs/privacy.md; their places in settings.MIDDLEWARE matter):

- `CookieGateMiddleware`, outermost but for security and static files, so its response
  phase sees every cookie any other part set: it lets through the cookies policy.yaml
  declares `necessary`, and any other only when the request may be used for the purpose
  of its category (never under Sec-GPC: 1). Undeclared cookies never leave.
- `ConnectionMiddleware`, after authentication: records the request's metadata
  (hisho.privacy.actions.retention), counts the page for consenting visitors, and, the first time
  a signed-in person's browser sends Sec-GPC: 1, withdraws their consents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse

from hisho.privacy import cookies
from hisho.privacy.policy import current_policy

logger = logging.getLogger(__name__)

# The consent purpose each non-necessary cookie category needs.
CATEGORY_PURPOSES = {"analytics": "usage_analytics"}
GPC_SESSION_KEY = "privacy_gpc_honoured"


class CookieGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        cookies.remember_asked(request, response)
        if response.cookies:
            self.gate(request, response)
        return response

    @staticmethod
    def gate(request: HttpRequest, response: HttpResponse) -> None:
        policy = current_policy()
        necessary = policy.necessary_cookie_names()
        declared = {cookie.name: cookie for cookie in policy.cookies.values()}
        for name in list(response.cookies):
            if name in necessary:
                continue
            cookie = declared.get(name)
            if cookie is None:
                # A name only: cookie names are ours, never personal data.
                logger.warning("dropped cookie %s: not declared in policy.yaml", name)
                del response.cookies[name]
                continue
            purpose = CATEGORY_PURPOSES.get(cookie.category)
            if purpose is None or not cookies.allowed(request, purpose):
                del response.cookies[name]


def relaxed_durability() -> None:
    """PostgreSQL: this transaction's commit returns before its WAL reaches the disk
    (`synchronous_commit = off`, for this transaction only). SQLite in WAL mode with
    `synchronous=NORMAL` already commits without waiting for the disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


class ConnectionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        from hisho.privacy.actions.retention import do_count_page, do_record_connection

        user: Any = getattr(request, "user", None)
        signed_in = (
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.pk is not None  # None: erased during this request
        )
        match = getattr(request, "resolver_match", None)
        route = str(match.route) if match is not None else ""
        if signed_in and cookies.gpc(request) and self.browser_session(request):
            self.honour_gpc(request, user)
        count = (
            route
            and request.method == "GET"
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and cookies.allowed(request, "usage_analytics")
        )
        try:
            # Both writes in one commit, which need not wait for the disk: losing the last
            # moments of request metadata in a crash is acceptable, a slower answer to
            # every request is not (docs/performance.md, "Privacy center").
            with transaction.atomic():
                relaxed_durability()
                do_record_connection(
                    user=user if signed_in else None,
                    ip=request.META.get("REMOTE_ADDR"),
                    user_agent=request.headers.get("User-Agent", ""),
                    route=route,
                    method=request.method or "",
                    status=response.status_code,
                )
                if count:
                    do_count_page(route=route)
        except DatabaseError:
            # The request's work is done; a record that could not be written (a busy
            # database) must not turn its answer into an error. The route only, no person.
            logger.warning("connection record not written for route %r", route)
        return response

    @staticmethod
    def browser_session(request: HttpRequest) -> bool:
        # App tokens carry no browser session: GPC is a browser's signal.
        session = getattr(request, "session", None)
        return session is not None and session.session_key is not None

    @staticmethod
    def honour_gpc(request: HttpRequest, user: Any) -> None:
        if request.session.get(GPC_SESSION_KEY):
            return
        from hisho.privacy.actions import do_honour_gpc

        do_honour_gpc(actor=user)
        request.session[GPC_SESSION_KEY] = True
