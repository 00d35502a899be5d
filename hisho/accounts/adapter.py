"""allauth glue: sign-up goes through Hisho's action so that it is audited, and sign-up
answers alike for a new and a taken address (docs/security.md)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context, ratelimit
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.utils import translation

from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.redaction import carries_card


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {  # noqa: RUF012 (allauth's own attribute, extended)
        **DefaultAccountAdapter.error_messages,
        # POLICY K9: an address is stored, mailed and shown as it is, so it cannot be
        # masked; one that carries a card number is refused (sign-up, added addresses,
        # web and headless API alike: all go through clean_email).
        "email_carries_card": "This address contains a card number. Use another address.",
    }

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # Self-service sign-up only ever creates customers; staff roles are granted by
        # an admin (do_set_role), never chosen by the visitor.
        user.role = Role.CUSTOMER
        # The language the browser asked for (Accept-Language, or the switch) becomes the
        # profile's, so that e-mails sent later without a request speak it too.
        language = (translation.get_language() or "").split("-")[0]
        if not user.language and language in dict(settings.LANGUAGES):
            user.language = language
        saved = super().save_user(request, user, form, commit=commit)
        if commit:
            record_event("account.signed_up", actor=saved, target=saved)
        return saved

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        if carries_card(email):
            raise self.validation_error("email_carries_card")
        request = context.request
        # Sign-ups (and added addresses) per address, besides allauth's per-IP limit:
        # whoever types an address gets the same answer, so no mail bombing of anyone.
        if request is not None and not ratelimit.consume(
            request, action="signup_email", key=email.strip().lower()
        ):
            raise self.validation_error("too_many_login_attempts")
        return email

    def get_phone(self, user: Any) -> tuple[str, bool] | None:
        # Nobody signs in by phone here: a profile's phone is sealed personal data
        # (hisho/accounts/access.py), not a sign-in method, so allauth sees none.
        return None

    def is_safe_url(self, url: str) -> bool:
        # A `next` that is no URL at all ("http://[") makes urlparse raise ValueError: it
        # is simply not a safe place to go (the default then applies), not a 500.
        try:
            return bool(super().is_safe_url(url))
        except ValueError:
            return False

    def send_account_already_exists_mail(self, email: str) -> None:
        # A new account costs one Argon2 hash; spend the same here, so the answer to a
        # taken address does not come back measurably faster (ASVS v5.0.0-6.3.8).
        make_password("hisho-timing-equaliser")
        super().send_account_already_exists_mail(email)


__all__ = ["AccountAdapter", "User"]
