"""Legal fixtures: opening cases through the real action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from hisho.demo import Demo
from hisho.legal.actions import do_open_case
from hisho.legal.models import DisclosureCase


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def open_case(demo: Demo) -> Any:
    """open_case(categories=[…], person="alice", start=…, end=…, by="admin")."""

    def make(
        categories: list[str] | None = None,
        *,
        person: str = "alice",
        start: dt.date | None = None,
        end: dt.date | None = None,
        by: str = "admin",
    ) -> DisclosureCase:
        return do_open_case(
            actor=demo.people[by],
            authority="Tokyo District Public Prosecutors Office",
            legal_basis="Code of Criminal Procedure, Art. 197(2)",
            reference="TKY-2026-0042",
            person_id=demo.people[person].pk,
            categories=categories or ["profile", "errands", "messages"],
            period_start=start or today() - dt.timedelta(days=30),
            period_end=end or today(),
            deadline=today() + dt.timedelta(days=14),
        )

    return make


@pytest.fixture
def every_kind_declared(monkeypatch: pytest.MonkeyPatch) -> frozenset[str]:
    """As if policy.yaml let authorities receive every kind of data a case can name (what
    Hisho may disclose is policy.yaml's decision; these tests are about the scope)."""
    from hisho.legal import bundle

    kinds = frozenset(
        {*bundle.PROFILE_KINDS.values(), *bundle.ERRAND_KINDS.values(), bundle.MESSAGE_KIND}
    )
    monkeypatch.setattr(bundle, "declared_kinds", lambda: kinds)
    return kinds
