"""`P(user)`: a principal for code the tests call directly, outside any request (the
entry points build real ones). Staff get a passed second factor unless told otherwise."""

from __future__ import annotations

from typing import Any

from hisho.accounts.principal import Principal


def P(user: Any, *, second_factor: bool = True) -> Principal:
    return Principal.acting_as(user, second_factor=second_factor)
