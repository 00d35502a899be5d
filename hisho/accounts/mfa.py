"""Two-factor authentication (POLICY O2; ASVS v5.0.0-6.3.2, 6.5.x).

allauth.mfa does the work: TOTP with recovery codes, and WebAuthn passkeys. Hisho's rule
on top — **assistants and admins use no staff function until their session passed a
second factor** — lives in the principal (hisho/accounts/principal.py): each entry point
asks `session_passed_second_factor` once when it builds the caller's principal, and the
access helpers and the vault require a cleared principal.

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

from hisho.accounts.models import User
from hisho.compat.allauth import authentication_records, totp_code_now

SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_second_factor(user: User) -> bool:
    """Does the person have a TOTP or passkey enrolled? (Recovery codes alone do not
    count: allauth removes them with the last real authenticator.)"""
    return bool(
        Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()
    )


def session_passed_second_factor(user: User, session: Any) -> bool:
    """Did this session (browser or app token) complete a second factor for `user`?
    allauth records each authentication step in the session it happened in."""
    return any(record.get("method") == "mfa" for record in authentication_records(session, user))


def current_totp_code(secret: str) -> str:
    """The TOTP code for `secret` now (RFC 6238 with allauth's settings: SHA-1, 6 digits,
    30 s), computed by allauth's own implementation (demo data and the test suite)."""
    return totp_code_now(secret)


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
