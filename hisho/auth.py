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
from ninja.security import APIKeyHeader, SessionAuth

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
    """The signed-in browser session; ninja enforces CSRF for it."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        return _admit(request, user, request.session)


API_AUTH = [SessionTokenAuth(), BrowserSessionAuth()]
