"""How API callers prove who they are: allauth's app session token or the browser
session (with CSRF). Both give the same `request.user` to the endpoints."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyHeader, SessionAuth
from ninja.utils import check_csrf

from hisho.accounts.mfa import note_session
from hisho.accounts.security import session_expired
from hisho.accounts.sessions import app_token_session, session_user


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
        # Whether this token's session passed a second factor (staff need one).
        note_session(user, session)
        request.user = user
        request.hisho_auth_session = session  # type: ignore[attr-defined]
        return user


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser session, with Django's CSRF check for unsafe methods.

    The check runs only once a signed-in session is found (issue 14): a request with no
    valid credential at all (no token, a bad or signed-out token, no session) is a 401,
    never a CSRF 403 — an app whose token expired must learn that it has to sign in."""

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked in authenticate(), for signed-in sessions

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and not user.is_active:
            return None
        if user is not None:
            if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
                raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
            note_session(user, request.session)
            request.hisho_auth_session = request.session  # type: ignore[attr-defined]
        return user


API_AUTH = [SessionTokenAuth(), BrowserSessionAuth()]
