"""Two-factor authentication (POLICY O2; ASVS v5.0.0-6.3.2, 6.5.x).

allauth.mfa does the work: TOTP with recovery codes, and WebAuthn passkeys. This module
adds Hisho's rule on top — **assistants and admins see no errand until they use a second
factor** — and keeps that rule in one place:

- Every entry point that turns a session or an app token into a user marks that user
  with the session's standing (`note_session`): enrolled (TOTP or passkey) *and* this
  session completed a second factor. The entry points are the API's authentication
  (hisho/auth.py), the web middleware (hisho/accounts/middleware.py) and the live-chat
  consumer (hisho/desk/consumers.py).
- `second_factor_ok(user)` / `require_second_factor(user)` is what the errand access
  helpers (hisho/desk/access.py) ask before anything else, so no page, endpoint or socket
  that reads errands can skip it. Customers and partners pass; a marked staff user
  passes only with the mark. Code that acts for a person outside any request (actions
  called by other code, management commands, migrations) is not a sign-in and is not
  asked for one.

Secrets (the TOTP seed, the recovery-code seed) are stored encrypted with AES-256-GCM
under a key derived from the Django secret key (`MFAAdapter.encrypt`); rotating the
secret key keeps them readable through SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction

from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.compat.allauth import activate_totp, authentication_records, totp_code_now
from hisho.errors import Forbidden

STAFF_ROLES = frozenset({Role.ASSISTANT, Role.ADMIN})
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

ENROL_FIRST = "Enrol in two-factor authentication first."
CONFIRM_SECOND_FACTOR = "Sign in with your second factor first."

# Set on a user object by the request layer: did this request's session pass a second
# factor? (True/False; absent for users that did not come through a request.)
_SESSION_MARK = "_hisho_session_second_factor"
# Per-object memo of the enrolment query: the access helpers ask once per errand.
_ENROLLED_MEMO = "_hisho_second_factor_enrolled"


class SecondFactorRequired(Forbidden):
    """Staff without a second factor lack the whole errand function: 403, never 404."""


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in (
        STAFF_ROLES
    )


def has_second_factor(user: User) -> bool:
    """Does the person have a TOTP or passkey enrolled? (Recovery codes alone do not
    count: allauth removes them with the last real authenticator.)"""
    memo = getattr(user, _ENROLLED_MEMO, None)
    if memo is None:
        memo = Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()
        setattr(user, _ENROLLED_MEMO, memo)
    return bool(memo)


def session_passed_second_factor(user: User, session: Any) -> bool:
    """Did this session (browser or app token) complete a second factor for `user`?
    allauth records each authentication step in the session it happened in."""
    return any(record.get("method") == "mfa" for record in authentication_records(session, user))


def note_session(user: Any, session: Any) -> None:
    """Mark `user` (a request's user) with whether its session passed a second factor.
    Every entry point that turns a session or token into a user calls this: the API's
    auth classes, the web middleware, and the live-chat consumer."""
    if is_staff(user):
        passed = has_second_factor(user) and session_passed_second_factor(user, session)
        setattr(user, _SESSION_MARK, passed)


def second_factor_ok(user: Any) -> bool:
    """May this user see errands as far as two-factor authentication goes?"""
    if not is_staff(user):
        return True
    return getattr(user, _SESSION_MARK, True) is not False


def require_second_factor(user: Any) -> None:
    """Raise SecondFactorRequired (403) for staff who may not see errands yet."""
    if second_factor_ok(user):
        return
    if not has_second_factor(user):
        raise SecondFactorRequired(ENROL_FIRST)
    raise SecondFactorRequired(CONFIRM_SECOND_FACTOR)


# --- TOTP helpers (demo data and the test suite) -----------------------------------------


def current_totp_code(secret: str) -> str:
    """The TOTP code for `secret` now (RFC 6238 with allauth's settings: SHA-1, 6 digits,
    30 s), computed by allauth's own implementation."""
    return totp_code_now(secret)


@transaction.atomic
def do_enrol_totp(*, actor: User | None, user: User, secret: str) -> Authenticator:
    """Enrol `user` in TOTP with a known secret, plus recovery codes, through
    allauth.mfa's own models. Only for demo data and operators' scripts: people enrol
    themselves at /accounts/2fa/, where the secret never leaves their device's QR code.
    Safe to repeat: an existing TOTP authenticator is kept."""
    existing: Authenticator | None = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.TOTP
    ).first()
    if existing is not None:
        return existing
    authenticator = activate_totp(user, secret)
    setattr(user, _ENROLLED_MEMO, True)
    record_event(
        "auth.mfa_added",
        actor=actor,
        target=user,
        extra={"authenticator_type": "totp", "authenticator_id": authenticator.pk},
    )
    return authenticator


# --- Secrets at rest -----------------------------------------------------------------------

_PREFIX = "hisho-aesgcm1:"
_NONCE_BYTES = 12


def _key(secret_key: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"hisho.accounts.mfa/1"
    ).derive(secret_key.encode())


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(_key(settings.SECRET_KEY)).encrypt(nonce, text.encode(), _PREFIX.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_PREFIX):
            raise ValueError("MFA secret is not in Hisho's sealed format.")
        try:
            raw = base64.b64decode(encrypted_text[len(_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("MFA secret is malformed.") from None
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        for secret_key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
            try:
                return AESGCM(_key(secret_key)).decrypt(nonce, sealed, _PREFIX.encode()).decode()
            except InvalidTag:
                continue
        raise ValueError("MFA secret does not open with the secret key or its fallbacks.")
