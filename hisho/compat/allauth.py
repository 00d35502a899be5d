"""django-allauth internals that have no public equivalent yet.

Why each exists (and what to try first on an upgrade):

- `authentication_records` / `record_authentication`: allauth keeps the list of
  authentication steps a session went through (password, mfa, socialaccount, with their
  times) in the session; Hisho reads it to know whether a session passed a second factor
  and how fresh it is, and records an enrolment as a second factor. allauth exposes it only
  from `account.internal.flows.login`.
- `totp_code_now` / `activate_totp`: the demo data and tests enrol staff with a known TOTP
  secret and compute its current code with allauth's own RFC 6238 implementation, so the
  codes they use are exactly the ones allauth accepts.
- `live_redirect_state_ids`: the OpenID Connect nonce Hisho stashes per redirect state is
  kept only while allauth still holds that state.
"""

from __future__ import annotations

import types
from typing import Any

from allauth.account.internal.flows import login as _login
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as _totp
from allauth.socialaccount.internal import statekit as _statekit
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest


def authentication_records(session: SessionBase, user: Any) -> list[dict[str, Any]]:
    """The authentication steps `session` recorded for `user` (oldest first): dicts with
    at least `method` ("password", "mfa", "socialaccount", …) and `at` (epoch seconds).
    Empty when the session belongs to someone else or recorded nothing."""
    request: Any = types.SimpleNamespace(session=session)  # all it reads of a request
    records = _login.get_authentication_records(request, user)
    return [r for r in records if isinstance(r, dict)]


def record_authentication(request: HttpRequest, user: Any, method: str, **extra: Any) -> None:
    """Add an authentication step to the request's session, as allauth does for its own."""
    _login.record_authentication(request, user, method, **extra)


def totp_code_now(secret: str) -> str:
    """The TOTP code for the base32 `secret` in the current time window, computed by
    allauth (SHA-1, 6 digits, 30 s unless configured otherwise)."""
    counter = next(iter(_totp.yield_hotp_counters_from_time()))
    return str(_totp.format_hotp_value(_totp.hotp_value(secret, counter)))


def activate_totp(user: Any, secret: str) -> Authenticator:
    """Enrol `user` in TOTP with `secret` plus a fresh set of recovery codes; returns the
    TOTP authenticator (allauth stores the secret through the MFA adapter's encrypt)."""
    authenticator: Authenticator = _totp.TOTP.activate(user, secret).instance
    RecoveryCodes.activate(user)
    return authenticator


def live_redirect_state_ids(request: HttpRequest) -> set[str]:
    """Ids of the social sign-in redirect states allauth still keeps in this session."""
    return set(_statekit.get_states(request))
