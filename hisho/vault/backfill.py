"""Sealing rows written before the vault existed (data migrations desk 0002, accounts 0002).

Runs with the migration's historical models through the same KeyStore and crypto the
service uses, so a value sealed here opens exactly like one sealed by an action.
"""

from __future__ import annotations

import uuid
from typing import Any

from hisho.vault import crypto
from hisho.vault.cache import KeyCache
from hisho.vault.keys import KeyStore


def _store(apps: Any) -> KeyStore:
    return KeyStore(
        apps.get_model("vault", "CustomerKey"),
        apps.get_model("vault", "DataKey"),
        KeyCache(max_size=0, ttl_seconds=0),
    )


class _Sealer:
    def __init__(self, keys: KeyStore, table: str, customer_id: int, scope: str, scope_id: str):
        self.key_id, self.aead = keys.data_key_for_sealing(customer_id, scope, scope_id)
        self.table, self.customer_id = table, customer_id

    def __call__(self, row_id: Any, field: str, value: str | None) -> bytes | None:
        if not value:
            return None
        cell = crypto.Cell(self.table, str(row_id), field, self.customer_id)
        return crypto.seal_value(self.aead, self.key_id, cell, value)


def seal_existing_errands(apps: Any, schema_editor: Any) -> None:
    Errand = apps.get_model("desk", "Errand")
    Message = apps.get_model("desk", "Message")
    if not Errand.objects.exists():
        return
    keys = _store(apps)
    errand_table, message_table = Errand._meta.db_table, Message._meta.db_table
    for errand in Errand.objects.order_by("pk").iterator():
        errand_seal = _Sealer(keys, errand_table, errand.customer_id, "errand", str(errand.pk))
        errand.sealed_summary = errand_seal(errand.pk, "summary", errand.summary)
        errand.sealed_title = errand_seal(errand.pk, "title", errand.title)
        errand.sealed_details = errand_seal(errand.pk, "details", errand.details)
        errand.sealed_phone = errand_seal(errand.pk, "phone", errand.legacy_phone)
        errand.sealed_address = errand_seal(errand.pk, "address", errand.legacy_address)
        errand.sealed_note = errand_seal(errand.pk, "note", errand.legacy_note)
        errand.save()
        message_seal = _Sealer(keys, message_table, errand.customer_id, "errand", str(errand.pk))
        for message in Message.objects.filter(errand_id=errand.pk).iterator():
            message.seal_id = uuid.uuid4()
            message.sealed_body = message_seal(message.seal_id, "body", message.body)
            message.save()


def seal_existing_profiles(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    given = User.objects.exclude(phone="", mailing_address="").order_by("pk")
    if not given.exists():
        return
    keys = _store(apps)
    for user in given.iterator():
        seal = _Sealer(keys, User._meta.db_table, user.pk, "profile", str(user.pk))
        user.sealed_phone = seal(user.pk, "phone", user.phone)
        user.sealed_mailing_address = seal(user.pk, "mailing_address", user.mailing_address)
        user.save()
