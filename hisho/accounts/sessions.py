"""From a session key or an app token to a session and its person, with public APIs
only: allauth's token strategy (the documented HEADLESS_TOKEN_STRATEGY interface) finds an
app token's session, Django's session engine a browser's, and Django's own `get_user`
checks the session's user, backend and password hash as it does for every page.

allauth's ninja security class (`XSessionTokenAuth`) would give the user alone; Hisho
needs the session too — whether it passed a second factor, and how old it is."""

from __future__ import annotations

import types
from importlib import import_module
from typing import Any

from allauth.headless import app_settings as headless_settings
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.sessions.backends.base import SessionBase


def app_token_session(token: str) -> SessionBase | None:
    """The session behind an `X-Session-Token`, or None for an unknown or ended one."""
    session: SessionBase | None = headless_settings.TOKEN_STRATEGY.lookup_session(token)
    return session


def browser_session(session_key: str | None) -> SessionBase | None:
    """The browser session with this key, or None if there is none (or it expired).

    Django makes session keys of lowercase ASCII letters and digits: anything else — a
    client's garbage, a NUL byte PostgreSQL would refuse with an error — is no session,
    answered without a query."""
    if not session_key or not (session_key.isascii() and session_key.isalnum()):
        return None
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # Loading a missing or expired session clears its key (one query, not exists + load).
    store.get(SESSION_KEY)
    return store if store.session_key else None


class OneReadSessionTokenStrategy(SessionTokenStrategy):
    """allauth's session-token strategy (HEADLESS_TOKEN_STRATEGY, a documented extension
    point) with one read per lookup instead of two: allauth asks the session store
    whether the key exists, then loads it; loading alone answers both, as a missing or
    expired session clears its key. Every API request signs in this way."""

    def lookup_session(self, session_token: str) -> SessionBase | None:
        return browser_session(session_token)


def session_user(session: SessionBase) -> Any | None:
    """The signed-in person of `session`, or None (anonymous, deleted, or a password
    change since the sign-in: Django compares the session's hash)."""
    user = get_user(types.SimpleNamespace(session=session))  # type: ignore[arg-type]
    return user if getattr(user, "is_authenticated", False) else None
