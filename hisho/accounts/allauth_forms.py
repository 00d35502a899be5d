"""allauth's sign-up and add-address forms, as Hisho uses them (settings.ACCOUNT_FORMS).

An address that carries a card number is refused (AccountAdapter.clean_email, POLICY K9);
the page that says so must not show the number again either, so the refused form's data
is masked before it is rendered.
"""

from __future__ import annotations

from typing import Any

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.forms import SignupForm as AllauthSignupForm

from hisho.redaction import carries_card, masked_data


class _NoCardEcho:
    data: Any

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        if self.errors and any(  # type: ignore[attr-defined]
            isinstance(v, str) and carries_card(v) for _, v in self.data.items()
        ):
            self.data = masked_data(self.data)


class SignupForm(_NoCardEcho, AllauthSignupForm):
    pass


class AddEmailForm(_NoCardEcho, AllauthAddEmailForm):
    pass
