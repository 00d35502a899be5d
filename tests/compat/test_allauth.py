"""Pins each allauth behaviour Hisho reaches through hisho/compat/allauth.py and the
suite's tests/compat/allauth_testkit.py. When an allauth upgrade changes one, it fails
here, by name — see docs/dependencies.md ("Upgrading")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
import types
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from hisho.accounts.sessions import app_token_session, browser_session, session_user
from hisho.compat import allauth as compat
from hisho.demo import DEMO_TOTP_SECRET, Demo
from tests.compat import allauth_testkit as testkit
from tests.conftest import sign_in


def rfc6238(secret: str, at: float) -> str:
    """TOTP, SHA-1, 6 digits, 30 s — written out from RFC 6238, independent of allauth."""
    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_totp_code_now_is_rfc_6238() -> None:
    before = rfc6238(DEMO_TOTP_SECRET, time.time())
    code = compat.totp_code_now(DEMO_TOTP_SECRET)
    after = rfc6238(DEMO_TOTP_SECRET, time.time())
    assert code in (before, after)


def test_activate_totp_enrols_totp_and_recovery_codes(demo: Demo) -> None:
    alice = demo.people["alice"]
    authenticator = compat.activate_totp(alice, DEMO_TOTP_SECRET)
    assert authenticator.type == Authenticator.Type.TOTP and authenticator.user_id == alice.pk
    codes = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)
    assert len(testkit.unused_recovery_codes(codes)) == 10
    # The secret is stored through the MFA adapter's encrypt (never in the clear) …
    assert DEMO_TOTP_SECRET not in str(authenticator.data)
    # … and allauth accepts the code computed for it, once.
    code = compat.totp_code_now(DEMO_TOTP_SECRET)
    assert testkit.totp_code_valid(authenticator, code)
    assert not testkit.totp_code_valid(authenticator, code)
    testkit.forget_totp_code_use(authenticator, code)
    assert testkit.totp_code_valid(authenticator, code)


def test_authentication_records_of_a_sign_in(demo: Demo) -> None:
    session = app_token_session(sign_in("kenji"))
    assert session is not None
    kenji = demo.people["kenji"]
    records = compat.authentication_records(session, kenji)
    assert [r["method"] for r in records] == ["password", "mfa"]
    assert all(abs(float(r["at"]) - time.time()) < 60 for r in records)
    # Another person's records are not this person's.
    assert compat.authentication_records(session, demo.people["yuki"]) == []


def test_record_authentication_adds_a_step(demo: Demo) -> None:
    alice = demo.people["alice"]
    session = SessionStore()
    request: Any = types.SimpleNamespace(session=session)
    compat.record_authentication(request, alice, "password", email=alice.email)
    compat.record_authentication(request, alice, "mfa", id=1, type="totp")
    methods = [r["method"] for r in compat.authentication_records(session, alice)]
    assert methods == ["password", "mfa"]


def test_live_redirect_state_ids(demo: Demo) -> None:
    from allauth.socialaccount.internal import statekit

    request = RequestFactory().get("/")
    request.session = SessionStore()
    assert compat.live_redirect_state_ids(request) == set()
    state_id = statekit.stash_state(request, provider_id="google", state={"process": "login"})
    assert compat.live_redirect_state_ids(request) == {state_id}


def test_pending_totp_secret_key_is_where_allauth_keeps_it() -> None:
    from allauth.mfa.totp.internal.auth import get_totp_secret

    request = RequestFactory().get("/")
    request.session = SessionStore()
    from allauth.core import context

    with context.request_context(request):
        secret = get_totp_secret(regenerate=True)
    assert request.session[testkit.PENDING_TOTP_SECRET_KEY] == secret


def test_sessions_from_token_and_key(demo: Demo) -> None:
    """hisho/accounts/sessions.py uses public APIs only; pinned here all the same."""
    token = sign_in("alice")
    session = app_token_session(token)
    assert session is not None and session_user(session) == demo.people["alice"]
    assert app_token_session("not-a-token") is None
    assert browser_session("no-such-key") is None and browser_session(None) is None
    assert browser_session(session.session_key) is not None


def test_the_reset_key_guard_is_still_needed() -> None:
    """allauth's own lookup still raises for a key with nothing before its "-"; when this
    fails, allauth refuses it by itself: drop the guard (hisho/compat/allauth.py)."""
    import pytest
    from allauth.account.forms import UserTokenForm

    unguarded = UserTokenForm._get_user.__wrapped__  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        unguarded(UserTokenForm(), None)
    assert UserTokenForm()._get_user(None) is None  # guarded


def test_the_passkey_guard_is_still_needed() -> None:
    """fido2 still raises KeyError for a credential without rawId, which allauth lets
    through; when this fails, drop the guard."""
    import pytest
    from allauth.mfa.webauthn.internal import auth
    from django.core.exceptions import ValidationError

    unguarded = auth.parse_authentication_response.__wrapped__  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        unguarded({"id": "x"})
    with pytest.raises(ValidationError):
        auth.parse_authentication_response({"id": "x"})


def test_the_session_keys_that_hold_client_text(demo: Demo) -> None:
    # hisho.inbound.MaskCardsInSession reads exactly these two states: a POST suspended for
    # a fresh sign-in, and a sign-in waiting for its second step with its `next` address.
    from django.test import Client

    client = Client()
    client.force_login(demo.people["alice"])  # no sign-in step recorded: not fresh
    client.post("/me/erase/", {"confirm": "erase"})
    suspended = client.session[compat.SUSPENDED_REQUEST_KEY]
    assert isinstance(suspended, dict) and isinstance(suspended["request"], str)

    staff = Client()
    staff.post(
        "/accounts/login/?next=/errands/",
        {"login": demo.people["kenji"].email, "password": "hisho-demo-2026"},
    )
    pending = staff.session[compat.PENDING_LOGIN_KEY]
    assert pending["redirect_url"] == "/errands/"
