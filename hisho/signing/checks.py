"""Start-up check: every master key Hisho's own wrapped secrets (signing keys, audit
pseudonym keys) are wrapped under must be in the keyring."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError

from hisho.signing.wrapping import registered
from hisho.vault.keyring import master_keys


@checks.register("signing")
def check_wrapped_secrets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if app_configs is not None and not any(c.label == "signing" for c in app_configs):
        return []
    problems: list[checks.CheckMessage] = []
    available = master_keys().key_ids()
    for table in registered():
        try:
            missing = sorted(table.master_key_ids() - available)
        except DatabaseError:
            return []  # not migrated yet
        if missing:
            problems.append(
                checks.Error(
                    f"The {table.name} are wrapped under master keys {', '.join(missing)}, "
                    "which are not in the keyring.",
                    hint="Restore the keyring that belongs to this database; before retiring "
                    "a master key, rewrap with hisho.signing.wrapping.rewrap_all() "
                    "(docs/audit.md, 'Keys').",
                    id="signing.E001",
                )
            )
    return problems
