"""Sessions and re-authentication (POLICY O2; ASVS v5.0.0-7.x).

- A sign-in lasts at most `HISHO_SESSION_MAX_SECONDS` from its first authentication
  step and ends after `HISHO_SESSION_IDLE_SECONDS` without a request (v5.0.0-7.3.1,
  7.3.2); both apply to browser sessions and app tokens alike, since an app token *is* a
  session (allauth headless).
- `recently_authenticated` / `require_recent_authentication`: the gate in front of
  changing e-mail, password or MFA (allauth's own re-authentication) and exporting or
  erasing data (v5.0.0-7.5.1).
- Audit events for provider accounts linked and removed through allauth's pages.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account.signals import authentication_step_completed, user_signed_up
from allauth.mfa.signals import authenticator_added
from allauth.socialaccount.signals import social_account_added, social_account_removed
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from hisho.audit.actions import record_event
from hisho.compat.allauth import authentication_records, record_authentication
from hisho.errors import ClientError

SEEN_KEY = "hisho.seen"
# The idle clock is written back at most this often, so a busy client does not write its
# session on every request.
SEEN_WRITE_EVERY = 300


class ReauthenticationRequired(ClientError):
    """The caller must confirm who they are again (API: 401 problem with a pointer to
    allauth's re-authentication endpoints)."""


REAUTHENTICATE_FIRST = (
    "Confirm it's you first: re-authenticate (POST /_allauth/app/v1/auth/reauthenticate "
    "or …/auth/2fa/reauthenticate) and try again within five minutes."
)


def _records(session: SessionBase) -> list[dict[str, Any]]:
    records = session.get("account_authentication_methods")
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def session_expired(session: SessionBase, *, save: bool = True) -> bool:
    """True (and the session is destroyed) if this sign-in is past its absolute lifetime
    or was idle too long; otherwise note that it was just used."""
    now = time.time()
    started = min((float(r.get("at", now)) for r in _records(session)), default=None)
    seen = session.get(SEEN_KEY)
    too_old = started is not None and now - started > settings.HISHO_SESSION_MAX_SECONDS
    idle = isinstance(seen, int | float) and now - seen > settings.HISHO_SESSION_IDLE_SECONDS
    if too_old or idle:
        session.flush()
        return True
    if not isinstance(seen, int | float) or now - seen > SEEN_WRITE_EVERY:
        session[SEEN_KEY] = now
        if save:
            session.save()
    return False


def recently_authenticated(user: Any, session: SessionBase) -> bool:
    """Did `user` sign in or re-authenticate in this session within the last
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds (password, second factor or provider)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    records = authentication_records(session, user)
    if not records:
        return False
    latest = max(float(r.get("at", 0)) for r in records)
    return time.time() - latest < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


def require_recent_authentication(request: HttpRequest) -> None:
    """For API endpoints: raise ReauthenticationRequired unless the caller's session (the
    app token's or the browser's) authenticated within the last five minutes."""
    session = getattr(request, "hisho_auth_session", None) or request.session
    if not recently_authenticated(request.user, session):
        raise ReauthenticationRequired(REAUTHENTICATE_FIRST)


# --- Signals ------------------------------------------------------------------------------
# (Sign-in, password and MFA audit events are hisho/audit/signals.py's.)


def _on_authenticator_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **_: Any
) -> None:
    # Enrolling proved possession of the new factor (a valid code, or the passkey's
    # signature) in this very session: it counts as this session's second factor.
    if request is not None and hasattr(request, "session"):
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=str(authenticator.type)
        )


def _on_authentication_step(sender: Any, request: Any, method: str, **kwargs: Any) -> None:
    # A new session id on re-authentication too, not only at sign-in (ASVS v5.0.0-7.2.4).
    # For the app the token changes: allauth returns the new one in `meta.session_token`.
    session = getattr(request, "session", None)
    if kwargs.get("reauthenticated") and isinstance(session, SessionBase):
        session.cycle_key()


def _on_signed_up(sender: Any, request: Any, user: Any, **_: Any) -> None:
    # allauth records an authentication step for every sign-in (password, code, provider,
    # second factor) but not for the one that ends a sign-up with a password. Without a
    # record the session had no start: no absolute lifetime (v5.0.0-7.3.2; the idle
    # clock kept it alive for ever) and no recent sign-in, so erasing or exporting right
    # after signing up asked to re-authenticate. Choosing the password is proving it.
    # Provider and passkey sign-ups record their own step; so does a retried signal.
    session = getattr(request, "session", None)
    if not isinstance(session, SessionBase) or not user.has_usable_password():
        return
    if not authentication_records(session, user):
        record_authentication(request, user, "password", signup=True)


def _on_social_added(sender: Any, request: Any, sociallogin: Any, **_: Any) -> None:
    account = sociallogin.account
    record_event(
        "account.provider_connected",
        actor=account.user,
        target=account.user,
        extra={"social_account_id": account.pk, "provider": str(account.provider)[:64]},
    )


def _on_social_removed(sender: Any, request: Any, socialaccount: Any, **_: Any) -> None:
    record_event(
        "account.provider_removed",
        actor=socialaccount.user,
        target=socialaccount.user,
        extra={"social_account_id": socialaccount.pk, "provider": str(socialaccount.provider)[:64]},
    )


def connect_signals() -> None:
    """Called once from AccountsConfig.ready()."""
    uid = "hisho.accounts.security"
    authenticator_added.connect(_on_authenticator_added, dispatch_uid=f"{uid}.mfa_added")
    authentication_step_completed.connect(_on_authentication_step, dispatch_uid=f"{uid}.step")
    user_signed_up.connect(_on_signed_up, dispatch_uid=f"{uid}.signed_up")
    social_account_added.connect(_on_social_added, dispatch_uid=f"{uid}.social_added")
    social_account_removed.connect(_on_social_removed, dispatch_uid=f"{uid}.social_removed")
