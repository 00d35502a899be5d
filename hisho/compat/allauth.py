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
- `SUSPENDED_REQUEST_KEY`: a POST that needs a fresh sign-in is kept by allauth in the
  session (its form fields, query and every header, serialised as JSON) to be replayed
  afterwards; Hisho masks card numbers in it before the session is saved
  (`hisho.inbound.MaskCardsInSession`). allauth names the key only in
  `account.internal.flows.reauthentication`; `PENDING_LOGIN_KEY` likewise for a sign-in
  waiting for its second step, whose `next` address is client text
  (`account.internal.stagekit`); `SOCIAL_STATES_KEY` for a social sign-in's redirect
  states, each with the `next` address a client sent (`socialaccount.internal.statekit`);
  `SOCIAL_SIGNUP_KEY` for a social sign-in waiting for the sign-up form, with what the
  provider returned.
- `live_redirect_state_ids`: the OpenID Connect nonce Hisho stashes per redirect state is
  kept only while allauth still holds that state.
- `refuse_malformed_input`: two of allauth's own input checks let a malformed request
  through to code that raises (a 500 any visitor could cause): a password-reset key with
  nothing before its "-" reaches `base36_to_int(None)` (TypeError), and a passkey
  credential without `rawId` (or, on registration, with an `id` that is not its `rawId`)
  reaches fido2's parser (KeyError, ValueError, where allauth catches only some). Both
  are now refused as allauth refuses a wrong key or code.
  On an upgrade, drop each guard whose test in tests/compat/ shows allauth refuses the input
  by itself.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

from allauth.account.forms import UserTokenForm
from allauth.account.internal import stagekit as _stagekit
from allauth.account.internal.flows import login as _login
from allauth.account.internal.flows import reauthentication as _reauthentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as _totp
from allauth.mfa.webauthn.internal import auth as _webauthn
from allauth.socialaccount.internal import statekit as _statekit
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

# The session key under which allauth keeps the request it suspended for re-authentication:
# {"request": <JSON of path, META, GET, POST, …>} (or a callback's own state).
SUSPENDED_REQUEST_KEY: str = _reauthentication.STATE_SESSION_KEY
# The session key under which allauth keeps a sign-in waiting for its next step (a second
# factor): its serialised Login, whose `redirect_url` is the `next` address a client sent.
PENDING_LOGIN_KEY: str = _stagekit.LOGIN_SESSION_KEY
# The session key under which allauth keeps each social sign-in's redirect state while the
# visitor is at the provider: {state id: (state, time, provider id)}, the state's `next`
# being the address a client sent (and, once back, a pending sign-in's or sign-up's own).
SOCIAL_STATES_KEY: str = _statekit.STATES_SESSION_KEY
# The session key under which allauth keeps a social sign-in that needs the sign-up form
# (the provider's e-mail is taken, or missing): the serialised SocialLogin, with all the
# provider returned (`account.extra_data`) and the names it gave (`user`). allauth names it
# only as a literal, in `socialaccount.internal.flows.signup`.
SOCIAL_SIGNUP_KEY = "socialaccount_sociallogin"


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


def _no_user_for_an_empty_id(get_user: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    @functools.wraps(get_user)
    def guarded(form: Any, uidb36: Any) -> Any:
        if not isinstance(uidb36, str) or not uidb36:
            return None  # what allauth answers for an unknown user: "invalid key"
        return get_user(form, uidb36)

    return guarded


def _incorrect_when_malformed(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(parse)
    def guarded(response: Any) -> Any:
        from allauth.mfa.adapter import get_adapter

        try:
            return parse(response)
        except (KeyError, AttributeError, ValueError):
            raise get_adapter().validation_error("incorrect_code") from None

    return guarded


def refuse_malformed_input() -> None:
    """Install the two guards above (once: AccountsConfig.ready)."""
    if getattr(UserTokenForm._get_user, "__wrapped__", None) is None:
        UserTokenForm._get_user = _no_user_for_an_empty_id(UserTokenForm._get_user)  # type: ignore[method-assign]
    for name in ("parse_authentication_response", "parse_registration_response"):
        parse = getattr(_webauthn, name)
        if getattr(parse, "__wrapped__", None) is None:
            setattr(_webauthn, name, _incorrect_when_malformed(parse))
