"""How API callers prove who they are: allauth's app session token or the browser
session (with CSRF). Both give the same `request.user` to the endpoints."""

from __future__ import annotations

from typing import Any

from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from django.http import HttpRequest
from ninja.security import APIKeyHeader, SessionAuth


class SessionTokenAuth(APIKeyHeader):
    """`X-Session-Token` from `POST /_allauth/app/v1/auth/login`."""

    param_name = "X-Session-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        found = authenticate_by_x_session_token(key)
        if not found:
            return None
        user = found[0]
        if not user.is_active:
            return None
        request.user = user
        return user


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser session; ninja enforces CSRF for it."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and not user.is_active:
            return None
        return user


API_AUTH = [SessionTokenAuth(), BrowserSessionAuth()]
