from __future__ import annotations

from typing import Any

import pytest

from hisho.accounts.actions import do_create_user, do_update_profile
from hisho.accounts.models import User
from hisho.demo import Demo

CROWD = 40  # customers who gave country, language and birth year (all the same)


@pytest.fixture
def crowd(demo: Demo) -> list[User]:
    """CROWD customers in one profile group, plus alice in it too."""
    people = []
    for i in range(CROWD):
        person = do_create_user(email=f"crowd{i}@example.com", password=None)
        people.append(do_update_profile(actor=person, changes=_profile()))
    do_update_profile(actor=demo.people["alice"], changes=_profile())
    return people


def _profile() -> dict[str, Any]:
    return {"country": "JP", "language": "en", "birth_year": 1990}
