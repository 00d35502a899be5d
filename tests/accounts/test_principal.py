"""The principal fails closed (DESIGN rule 9): access helpers and the vault take a
principal built by an entry point, and a staff principal whose session has not passed a
second factor gets no staff function. Before the principal, a user object that no entry
point had marked counted as having passed a second factor."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.accounts.principal import Principal, SecondFactorRequired, principal_for
from hisho.demo import Demo
from hisho.desk.access import access_errand, access_errand_triage, errands_for, triage_queue
from hisho.desk.content import read_content, read_sealed
from hisho.errors import NotFound
from tests.principals import P


def test_a_bare_user_reaches_nothing(demo: Demo) -> None:
    kenji, errand = demo.people["kenji"], demo.alice_errand
    for call in (
        lambda: access_errand(kenji, errand.pk),
        lambda: access_errand_triage(kenji, errand.pk),
        lambda: errands_for(kenji),
        lambda: triage_queue(kenji),
        lambda: read_content(kenji, errand),
        lambda: read_sealed(kenji, errand),
    ):
        with pytest.raises(NotFound):
            call()
    # The same person as a cleared principal: the errand is theirs to see.
    assert access_errand(P(kenji), errand.pk) == errand


@pytest.mark.parametrize("handle", ["kenji", "yuki", "admin"])
def test_staff_without_a_passed_second_factor_get_403(demo: Demo, handle: str) -> None:
    uncleared = P(demo.people[handle], second_factor=False)
    for call in (
        lambda: access_errand(uncleared, demo.alice_errand.pk),
        lambda: access_errand_triage(uncleared, demo.alice_errand.pk),
        lambda: errands_for(uncleared),
        lambda: triage_queue(uncleared),
    ):
        with pytest.raises(SecondFactorRequired):
            call()
    # The vault refuses them too, whatever the access helpers said.
    with pytest.raises(NotFound):
        read_sealed(uncleared, demo.alice_errand)


def test_customers_need_no_second_factor(demo: Demo) -> None:
    alice = P(demo.people["alice"], second_factor=False)
    assert access_errand(alice, demo.alice_errand.pk) == demo.alice_errand
    assert read_content(alice, demo.alice_errand).title


def test_an_entry_point_decides_by_the_session(demo: Demo) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    kenji = demo.people["kenji"]
    empty: Any = SessionStore()
    principal = principal_for(kenji, empty)
    assert principal == Principal(user=kenji, second_factor=False)
    assert principal_for(None, empty) is None
