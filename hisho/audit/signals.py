"""Sign-in, sign-out, password, e-mail and MFA events, from Django's and allauth's signals.

Ids only: a failed sign-in has no user, so it is recorded with no actor and nothing
about the attempt (never the e-mail address that was tried).
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from django.apps import apps
from django.contrib.auth import signals as auth_signals
from django.dispatch import Signal

from hisho.audit.actions import record_event


def _user_event(event: str, **fixed: Any) -> Any:
    def receiver(sender: Any, user: Any = None, **kwargs: Any) -> None:
        if user is None:
            user = getattr(kwargs.get("email_address"), "user", None)
        if getattr(user, "pk", None) is None:
            return
        extra = dict(fixed)
        authenticator = kwargs.get("authenticator")
        if authenticator is not None:
            extra["type"] = str(getattr(authenticator, "type", ""))[:32]
            extra["authenticator_id"] = getattr(authenticator, "pk", None)
        record_event(event, actor=user, target=user, extra=extra)

    receiver.__name__ = f"on_{event.replace('.', '_')}"
    return receiver


def on_login_failed(
    sender: Any, credentials: Any = None, request: Any = None, **kwargs: Any
) -> None:
    # No user, and never what was typed: the event, its time, and that is all.
    record_event("auth.login_failed", actor=None)


RECEIVERS: list[tuple[Signal, Any]] = [
    (auth_signals.user_logged_in, _user_event("auth.login_succeeded")),
    (auth_signals.user_logged_out, _user_event("auth.logged_out")),
    (auth_signals.user_login_failed, on_login_failed),
    (account_signals.password_changed, _user_event("auth.password_changed")),
    (account_signals.password_set, _user_event("auth.password_set")),
    (account_signals.password_reset, _user_event("auth.password_reset")),
    (account_signals.email_changed, _user_event("auth.email_changed")),
    (account_signals.email_added, _user_event("auth.email_added")),
    (account_signals.email_removed, _user_event("auth.email_removed")),
    (account_signals.email_confirmed, _user_event("auth.email_confirmed")),
]


def mfa_receivers() -> list[tuple[Signal, Any]]:
    """MFA events, once allauth.mfa is installed (its signals module needs its models)."""
    if not apps.is_installed("allauth.mfa"):
        return []
    from allauth.mfa import signals as mfa_signals

    return [
        (mfa_signals.authenticator_added, _user_event("auth.mfa_added")),
        (mfa_signals.authenticator_removed, _user_event("auth.mfa_removed")),
        (mfa_signals.authenticator_reset, _user_event("auth.mfa_reset")),
        (mfa_signals.authentication_failed, _user_event("auth.mfa_failed")),
    ]


def connect() -> None:
    for signal, receiver in [*RECEIVERS, *mfa_receivers()]:
        signal.connect(receiver, dispatch_uid=f"hisho.audit.{receiver.__name__}")
