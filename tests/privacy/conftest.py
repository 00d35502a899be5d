"""Privacy-center fixtures: running the task worker in-process, and a changed policy."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from hisho.privacy import policy as policy_module
from hisho.privacy.policy import Policy, current_policy


@pytest.fixture
def run_worker(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Run `hisho db_worker --batch`: every task that is due, then return. The worker
    checks its database connection between tasks; inside a test's transaction that
    check would close the connection, so it is left out here."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    return run


@pytest.fixture
def changed_policy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[[Callable[[dict[str, Any]], None]], Policy]]:
    """change(edit) → policy.yaml with `edit(document)` applied, in force for the test
    (written to a temporary file that the loader reads instead of the real one)."""

    def change(edit: Callable[[dict[str, Any]], None]) -> Policy:
        document = copy.deepcopy(current_policy().document)
        edit(document)
        path = tmp_path / "policy.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        monkeypatch.setattr(policy_module, "POLICY_FILE", path)
        current_policy.cache_clear()
        return current_policy()

    yield change
    current_policy.cache_clear()


def new_purpose(document: dict[str, Any]) -> None:
    """An edit: a new purpose that rests on consent."""
    document["purposes"].append(
        {
            "key": "partner_offers",
            "data_use": "marketing.communications.email",
            "basis": "consent",
            "title": {"en": "Offers from partners", "ja": "提携先からのご案内"},
            "description": {
                "en": "Offers from our partners, by e-mail.",
                "ja": "提携先からのご案内をメールでお送りします。",
            },
        }
    )
