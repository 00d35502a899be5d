"""allauth internals the tests need to reach into (the suite's side of hisho/compat/):
one place to mend when an upgrade changes them; tests/compat/test_allauth.py pins each."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as _totp
from django.core.cache import cache

# Where allauth keeps the not yet activated TOTP secret during enrolment.
PENDING_TOTP_SECRET_KEY: str = _totp.SECRET_SESSION_KEY


def totp_code_valid(authenticator: Authenticator, code: str) -> bool:
    """Does allauth accept `code` for this TOTP authenticator now? (Uses the code up.)"""
    return bool(_totp.TOTP(authenticator).validate_code(code))


def forget_totp_code_use(authenticator: Authenticator, code: str) -> None:
    """A TOTP code works once; forget that `code` was used, so the suite can sign the
    same person in twice within one 30-second window."""
    cache.delete(_totp.TOTP(authenticator)._get_used_cache_key(code))


def unused_recovery_codes(authenticator: Authenticator) -> list[Any]:
    codes: list[Any] = RecoveryCodes(authenticator).get_unused_codes()
    return codes
