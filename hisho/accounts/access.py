"""Reading a person's profile: only the person themself (house rules 2 and 3); the sealed
fields are opened by the vault, which asks the same question again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal
from hisho.errors import Forbidden, NotFound
from hisho.vault.sealing import Place, Scope, unseal


def require_role(who: Principal | User | Any, *roles: Role, detail: str) -> None:
    """Refuse (403) a caller whose role lacks a whole function: signed out, deactivated,
    or not one of `roles` — and, given a principal, staff whose session has not passed a
    second factor. For single objects use the access_* helpers (404) instead."""
    user = who.user if isinstance(who, Principal) else who
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role not in roles:
        raise Forbidden(detail)
    if isinstance(who, Principal):
        who.require_cleared()


@dataclass(frozen=True)
class Profile:
    id: int
    email: str
    role: str
    name: str | None
    phone: str | None
    mailing_address: str | None
    country: str | None
    language: str | None
    birth_year: int | None
    time_zone: str | None = None
    # "Ask me before a new assistant can read my errand" (hisho/desk/actions.py).
    approve_assignees: bool = False


# The profile fields the vault seals: logical name → the column holding its ciphertext.
SEALED_PROFILE_FIELDS = {"phone": "sealed_phone", "mailing_address": "sealed_mailing_address"}


def profile_place(user_id: int, field: str) -> Place:
    return Place(User._meta.db_table, str(user_id), field)


def read_profile(reader: Principal, user: User) -> Profile:
    """The person's own profile, sealed fields opened (for themself only)."""
    if not isinstance(reader, Principal) or reader.pk != user.pk:
        raise NotFound("No such person.")
    phone, mailing_address = unseal(
        reader,
        Scope(customer_id=user.pk),
        [
            (profile_place(user.pk, field), getattr(user, column))
            for field, column in SEALED_PROFILE_FIELDS.items()
        ],
        action=None,  # only the person themself may unseal: never an access-log entry
    )
    return Profile(
        id=user.pk,
        email=user.email,
        role=user.role,
        name=user.name or None,
        phone=phone.shown(),
        mailing_address=mailing_address.shown(),
        country=user.country or None,
        language=user.language or None,
        birth_year=user.birth_year,
        time_zone=user.time_zone or None,
        approve_assignees=user.approve_assignees,
    )
