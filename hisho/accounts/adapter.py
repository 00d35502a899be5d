"""allauth glue: sign-up goes through Hisho's action so that it is audited, and sign-up
answers alike for a new and a taken address (docs/security.md)."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context, ratelimit
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.errors import MailUnavailable
from hisho.privacy.recipients import relay_errors
from hisho.redaction import carries_card

logger = logging.getLogger(__name__)

# allauth's mails that confirm an address: the account or the address is saved before
# they go, so when the relay is down the person is told what was kept. The mail to a
# taken address says the same as the one to a new address (no enumeration).
_CONFIRMATIONS = frozenset(
    {
        "account/email/email_confirmation_signup",
        "account/email/email_confirmation",
        "account/email/account_already_exists",
    }
)


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

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Partners have no errands: LOGIN_REDIRECT_URL (the errand list) would greet them
        # with a 403 right after signing in. Their start is the partner area.
        if getattr(request.user, "role", None) == Role.PARTNER:
            return reverse("partner_home")
        return str(super().get_login_redirect_url(request))

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

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Sign-in mails carry one-time secrets (a reset link, a code), so they are sent in
        # the request rather than kept in a queue; with the relay down the person gets a
        # 503 that says what to do (hisho.outages), not a 500.
        if template_prefix in _CONFIRMATIONS:
            detail = gettext(
                "We could not send the e-mail to confirm your address just now. Your "
                "address is saved: in a few minutes, sign in or ask for the confirmation "
                "e-mail again."
            )
        else:
            detail = gettext(
                "We could not send the e-mail just now. Nothing was changed: please try "
                "again in a few minutes."
            )
        try:
            with relay_errors(detail):
                super().send_mail(template_prefix, email, context)
        except MailUnavailable:
            if template_prefix in _CONFIRMATIONS and self.request is not None:
                # allauth counted this confirmation against the address's limit (one per
                # three minutes); none went, so signing in again may send it at once.
                ratelimit.clear(self.request, action="confirm_email", key=email.lower())
            raise

    def send_notification_mail(
        self,
        template_prefix: str,
        user: Any,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        # A notice of a change already made (password, address, second factor): the change
        # stands whether or not the relay takes the notice, so the request does not fail
        # for it. The operator sees the missed notice in the log (ids only).
        try:
            super().send_notification_mail(template_prefix, user, context, email)
        except MailUnavailable:
            logger.warning(
                "security notice %s to user %s not sent: mail relay unavailable",
                template_prefix.rsplit("/", 1)[-1],
                user.pk,
            )

    def send_account_already_exists_mail(self, email: str) -> None:
        # A new account costs one Argon2 hash; spend the same here, so the answer to a
        # taken address does not come back measurably faster (ASVS v5.0.0-6.3.8).
        make_password("hisho-timing-equaliser")
        super().send_account_already_exists_mail(email)


__all__ = ["AccountAdapter", "User"]
