"""allauth glue: sign-up goes through Hisho's action so that it is audited."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # Self-service sign-up only ever creates customers; staff roles are granted by
        # an admin (do_set_role), never chosen by the visitor.
        user.role = Role.CUSTOMER
        saved = super().save_user(request, user, form, commit=commit)
        if commit:
            record_event("account.signed_up", actor=saved, target=saved)
        return saved

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True


__all__ = ["AccountAdapter", "User"]
