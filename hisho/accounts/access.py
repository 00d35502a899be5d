"""Reading a person's profile: only the person themself (house rules 2 and 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hisho.accounts.models import User
from hisho.errors import NotFound


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


def read_profile(reader: User | Any, user: User) -> Profile:
    if not getattr(reader, "is_authenticated", False) or reader.pk != user.pk:
        raise NotFound("No such person.")
    return Profile(
        id=user.pk,
        email=user.email,
        role=user.role,
        name=user.name or None,
        phone=user.phone or None,
        mailing_address=user.mailing_address or None,
        country=user.country or None,
        language=user.language or None,
        birth_year=user.birth_year,
    )
