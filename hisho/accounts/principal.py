"""The caller as every protected read sees it (DESIGN rule 9): a person *and* whether the
session they came through passed a second factor.

Each entry point builds one — the API's auth classes (hisho/auth.py), the web middleware
(hisho/accounts/middleware.py) and the live-chat consumer (hisho/desk/consumers.py) — with
`principal_for(user, session)`; nothing else makes one except `Principal.acting_as`, for
code that acts for a person outside any request (demo data, commands, tests), which must
say so. `access_*` and the vault take a Principal and nothing else: a bare user, a
request without one, anything else — no access (fail closed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from hisho.accounts.models import Role, User
from hisho.errors import Forbidden, NotFound

STAFF_ROLES = frozenset({Role.ASSISTANT, Role.ADMIN})

ENROL_FIRST = "Enrol in two-factor authentication first."
CONFIRM_SECOND_FACTOR = "Sign in with your second factor first."


class SecondFactorRequired(Forbidden):
    """Staff without a passed second factor lack every staff function: 403, never 404."""


class NotSignedIn(NotFound):
    """No principal where one is needed: nothing to see (the API's auth answers 401
    before any endpoint runs, so this is a backstop, not a path)."""


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    # This session completed a second factor (TOTP or passkey) for `user`, and `user`
    # still has one enrolled. Meaningless for customers and partners, who need none.
    second_factor: bool

    @classmethod
    def acting_as(cls, user: User, *, second_factor: bool = True) -> Principal:
        """A principal outside any sign-in: demo data, management commands, tests."""
        return cls(user=user, second_factor=second_factor)

    @property
    def pk(self) -> int:
        return int(self.user.pk)

    @property
    def role(self) -> str:
        return str(self.user.role)

    @property
    def is_staff(self) -> bool:
        return self.user.role in STAFF_ROLES

    @property
    def active(self) -> bool:
        return bool(self.user.is_active)

    @property
    def cleared(self) -> bool:
        """May this caller use their role's functions now? Active, and staff only from a
        session that passed a second factor."""
        return self.active and (self.second_factor or not self.is_staff)

    def require_cleared(self) -> None:
        """Raise SecondFactorRequired (403) for staff without a passed second factor."""
        if self.cleared or not self.active:
            return
        from hisho.accounts.mfa import has_second_factor

        raise SecondFactorRequired(
            CONFIRM_SECOND_FACTOR if has_second_factor(self.user) else ENROL_FIRST
        )


def principal_for(user: Any, session: Any) -> Principal | None:
    """The principal of a signed-in `user` who came through `session` (browser or app
    token); None for anyone not signed in."""
    if not getattr(user, "is_authenticated", False) or not isinstance(user, User):
        return None
    if user.role not in STAFF_ROLES:
        return Principal(user=user, second_factor=False)
    from hisho.accounts.mfa import has_second_factor, session_passed_second_factor

    passed = has_second_factor(user) and session_passed_second_factor(user, session)
    return Principal(user=user, second_factor=passed)


def principal_of(request: HttpRequest) -> Principal:
    """The request's principal, set by its entry point; NotSignedIn if there is none."""
    principal = getattr(request, "principal", None)
    if not isinstance(principal, Principal):
        raise NotSignedIn("Not found.")
    return principal


def as_principal(who: Any) -> Principal:
    """`who` if it is a Principal; anything else fails closed (NotFound)."""
    if not isinstance(who, Principal):
        raise NotSignedIn("Not found.")
    return who
