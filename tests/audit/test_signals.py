"""Sign-in success and failure, sign-out, password and MFA changes are audited, by id."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from allauth.account import signals as account_signals
from django.test import Client, RequestFactory

from hisho.audit.models import AuditEvent
from hisho.audit.signals import _user_event
from hisho.demo import DEMO_PASSWORD, Demo, email_of


def login(email: str, password: str) -> int:
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": email, "password": password}),
        content_type="application/json",
    )
    return int(response.status_code)


def test_sign_in_success_is_recorded_with_the_id(demo: Demo) -> None:
    alice = demo.people["alice"]
    assert login(email_of("alice"), DEMO_PASSWORD) == 200
    entry = AuditEvent.objects.filter(event="auth.login_succeeded").order_by("-id").first()
    assert entry is not None and entry.actor_id == alice.pk and entry.target_id == str(alice.pk)


def test_sign_in_failure_is_recorded_without_who_tried(demo: Demo) -> None:
    before = AuditEvent.objects.filter(event="auth.login_failed").count()
    assert login(email_of("bob"), "wrong-password-1") in (400, 401)
    assert login("nobody-here@example.com", "wrong-password-2") in (400, 401)
    failed = list(AuditEvent.objects.filter(event="auth.login_failed").order_by("id"))
    assert len(failed) == before + 2
    for entry in failed[-2:]:
        assert entry.actor_id is None and entry.actor_ref == "" and entry.extra == {}
        assert entry.target_id == "" and entry.target_ref == ""
    dump = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "nobody-here" not in dump and "bob@" not in dump and "wrong-password" not in dump


def test_sign_out_and_password_change_are_recorded(demo: Demo) -> None:
    client = Client()
    client.force_login(demo.people["bob"])
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(event="auth.logged_out", actor_id=demo.people["bob"].pk)
    request = RequestFactory().post("/accounts/password/change/")
    request.user = demo.people["bob"]
    request.session = client.session
    account_signals.password_changed.send(sender=None, request=request, user=demo.people["bob"])
    assert AuditEvent.objects.filter(
        event="auth.password_changed", actor_id=demo.people["bob"].pk
    ).exists()


def test_mfa_changes_are_recorded_by_authenticator_id(demo: Demo) -> None:
    kenji = demo.people["kenji"]
    receiver: Any = _user_event("auth.mfa_added")
    receiver(None, request=None, user=kenji, authenticator=SimpleNamespace(pk=7, type="totp"))
    entry = AuditEvent.objects.filter(event="auth.mfa_added").order_by("-id").first()
    assert entry is not None and entry.actor_id == kenji.pk
    assert entry.extra == {"type": "totp", "authenticator_id": 7}
