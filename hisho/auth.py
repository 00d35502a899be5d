"""How API callers prove who they are: allauth's app session token or the browser
session (with CSRF). Both give the endpoints the same `request.user` and the caller's
principal, `request.principal` (hisho/accounts/principal.py).

Staff whose session has not passed a second factor reach only their own account
(`/api/v1/me…`: profile, export, consents) and get 403 on everything else — decided here,
for every operation, so a new staff endpoint cannot forget it (DESIGN rule 9)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyHeader, SessionAuth
from ninja.utils import check_csrf

from hisho.accounts.principal import principal_for
from hisho.accounts.security import session_expired
from hisho.accounts.sessions import app_token_session, session_user

# Operations a signed-in staff member may use before passing a second factor: their own
# account only. Paths are relative to the API's root (/api/v1/).
OWN_ACCOUNT_PREFIX = "me"


def _admit(request: HttpRequest, user: Any, session: SessionBase) -> Any:
    """Attach the principal; refuse (None → 401) nobody who is signed in, but raise
    SecondFactorRequired (403) for staff outside their own account without one."""
    principal = principal_for(user, session)
    if principal is None:
        return None
    request.user = user
    request.principal = principal  # type: ignore[attr-defined]
    request.hisho_auth_session = session  # type: ignore[attr-defined]
    if not principal.cleared and not _own_account(request):
        principal.require_cleared()
    return user


def _own_account(request: HttpRequest) -> bool:
    match = request.resolver_match
    route = (match.route if match else "").removeprefix("api/v1/")
    return route == OWN_ACCOUNT_PREFIX or route.startswith(OWN_ACCOUNT_PREFIX + "/")


class SessionTokenAuth(APIKeyHeader):
    """`X-Session-Token` from `POST /_allauth/app/v1/auth/login`."""

    param_name = "X-Session-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        session = app_token_session(key)
        if session is None:
            return None
        user = session_user(session)
        if user is None or not user.is_active or session_expired(session):
            return None
        return _admit(request, user, session)


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser session, with Django's CSRF check for unsafe methods.

    The check runs only once a signed-in session is found (issue 14): a request with no
    valid credential at all (no token, a bad or signed-out token, no session) is a 401,
    never a CSRF 403 — an app whose token expired must learn that it has to sign in."""

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked in authenticate(), for signed-in sessions

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return _admit(request, user, request.session)


API_AUTH = [SessionTokenAuth(), BrowserSessionAuth()]
