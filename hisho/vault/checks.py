"""Start-up checks: the master keyring must fit the database.

`hisho check`, `migrate`, `demo`, `runserver` and every other command that runs Django's
system checks stop when a master key the database needs is not in the keyring, or a key
of that id is there but is not the key that wrapped the customer keys. (A keyring that
is missing or unreadable already stopped start-up in VaultConfig.ready.)
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError, connections

from hisho.vault import crypto
from hisho.vault.keyring import master_keys, reset_master_keys

VAULT_SETTINGS = {
    "HISHO_MASTER_KEY_FILE",
    "HISHO_MASTER_KEY_GENERATE",
    "HISHO_VAULT_KEY_CACHE_SIZE",
    "HISHO_VAULT_KEY_CACHE_SECONDS",
}


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in VAULT_SETTINGS:
        from hisho.vault.keys import reset_store

        reset_master_keys()
        reset_store()


def keyring_problems(using: str = "default") -> list[checks.CheckMessage]:
    from hisho.vault.keys import customer_key_aad
    from hisho.vault.models import CustomerKey

    keys = master_keys()
    path = getattr(keys, "path", "the master keyring")
    problems: list[checks.CheckMessage] = []
    try:
        in_use = (
            CustomerKey.objects.using(using)
            .filter(wrapped__isnull=False)
            .values_list("master_key_id", flat=True)
            .distinct()
        )
        needed = sorted(set(in_use))
        for key_id in needed:
            if key_id not in keys.key_ids():
                problems.append(
                    checks.Error(
                        f"The database has customer keys wrapped under master key {key_id}, "
                        f"which is not in {path}.",
                        hint="Start with the keyring that belongs to this database "
                        "(HISHO_MASTER_KEY_FILE); see docs/operations.md, 'Keys and the vault'.",
                        id="vault.E001",
                    )
                )
                continue
            sample = (
                CustomerKey.objects.using(using)
                .filter(master_key_id=key_id, wrapped__isnull=False)
                .order_by("-pk")
                .first()
            )
            if sample is None or sample.wrapped is None:
                continue
            try:
                keys.unwrap(
                    key_id,
                    bytes(sample.wrapped),
                    customer_key_aad(sample.customer_id, sample.version),
                )
            except crypto.Unauthentic:
                problems.append(
                    checks.Error(
                        f"Master key {key_id} in {path} is not the key this database's "
                        "customer keys were wrapped under.",
                        hint="The keyring file was replaced or edited: restore the one that "
                        "belongs to this database.",
                        id="vault.E002",
                    )
                )
    except DatabaseError:
        # Not migrated yet, or the database is down: `migrate` and the service will say so.
        return []
    return problems


@checks.register("vault")
def check_keyring(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> Any:
    if app_configs is not None and not any(c.label == "vault" for c in app_configs):
        return []
    problems = []
    for alias in databases or ["default"]:
        if alias in connections:
            problems.extend(keyring_problems(alias))
    return problems
