"""Customer keys and data keys: creating, unwrapping (with the cache), rotating, shredding.

`KeyStore` works on the model classes it is given, so the data migrations that seal
rows written before the vault existed use exactly this code with historical models.
The runtime store is `store()`.
"""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction
from django.utils import timezone

from hisho.vault import crypto
from hisho.vault.cache import KeyCache
from hisho.vault.errors import KeyDestroyed, KeyUnavailable
from hisho.vault.keyring import MasterKeys, master_keys


def customer_key_aad(customer_id: int, version: int) -> bytes:
    return f"hisho-customer-key/1|customer={customer_id}|version={version}".encode()


def data_key_aad(
    key_id: uuid.UUID, customer_id: int, scope: str, scope_id: str, version: int
) -> bytes:
    return (
        f"hisho-data-key/1|{key_id}|customer={customer_id}|{scope}={scope_id}|version={version}"
    ).encode()


def _bytes(value: Any) -> bytes:
    # BinaryField gives bytes on SQLite and memoryview on PostgreSQL.
    return bytes(value)


class KeyStore:
    def __init__(self, customer_key_model: Any, data_key_model: Any, cache: KeyCache) -> None:
        self.CustomerKey = customer_key_model
        self.DataKey = data_key_model
        self.cache = cache

    @property
    def master(self) -> MasterKeys:
        return master_keys()

    # --- customer keys ------------------------------------------------------------------
    @staticmethod
    def _customer_cache_key(row: Any) -> tuple[str, int, int, bytes]:
        # Keyed by the wrapped bytes themselves: a row that was rolled back, rotated or
        # shredded can never be mistaken for the one in the database now.
        return ("ck", row.customer_id, row.version, _bytes(row.wrapped))

    def _unwrap_customer_key(self, row: Any) -> AESGCM:
        if row.wrapped is None:
            raise KeyUnavailable("key_destroyed")
        cached = self.cache.get(self._customer_cache_key(row))
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        try:
            key = self.master.unwrap(
                row.master_key_id,
                _bytes(row.wrapped),
                customer_key_aad(row.customer_id, row.version),
            )
        except KeyError:
            raise KeyUnavailable("master_key_missing") from None
        aead = crypto.cipher(key)
        self.cache.put(self._customer_cache_key(row), aead, owner=row.customer_id)
        return aead

    def _wrap_customer_key(self, row: Any, key: bytes) -> None:
        row.master_key_id, row.wrapped = self.master.wrap(
            key, customer_key_aad(row.customer_id, row.version)
        )

    def _locked_customer_key(self, customer_id: int) -> Any:
        """The customer's key row, locked until the transaction ends (so rotation and
        shredding cannot interleave with wrapping a new data key); created on first use."""
        row = self.CustomerKey.objects.select_for_update().filter(customer_id=customer_id).first()
        if row is None:
            key = crypto.new_key()
            row = self.CustomerKey(customer_id=customer_id, version=1)
            self._wrap_customer_key(row, key)
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:  # created concurrently: use that one
                row = self.CustomerKey.objects.select_for_update().get(customer_id=customer_id)
            else:
                self.cache.put(self._customer_cache_key(row), crypto.cipher(key), owner=customer_id)
        if row.wrapped is None:
            raise KeyDestroyed
        return row

    # --- data keys ----------------------------------------------------------------------
    def data_key_for_sealing(
        self, customer_id: int, scope: str, scope_id: str
    ) -> tuple[uuid.UUID, AESGCM]:
        """The data key of a scope (an errand, a profile), made on first use.

        Which key belongs to a scope is cached only once the transaction that found or
        made it has committed, so a key that was rolled back is never used to seal.
        (A key shredded by another process may still be used for up to the cache TTL:
        what is sealed with it is then as unreadable as the rest of that customer's data.)
        """
        mapped = self.cache.get(("scope", scope, scope_id))
        if mapped is not None:
            return mapped  # type: ignore[no-any-return]
        row = self.DataKey.objects.filter(scope=scope, scope_id=scope_id).first()
        if row is None:
            with transaction.atomic():
                row, aead = self._new_data_key(customer_id, scope, scope_id)
            self._map_after_commit(row, aead)
            return row.id, aead
        if row.customer_id != customer_id:
            raise crypto.Unauthentic("data key belongs to someone else")
        aead = self._unwrap_data_key(row)
        self._map_after_commit(row, aead)
        return row.id, aead

    def _new_data_key(self, customer_id: int, scope: str, scope_id: str) -> tuple[Any, AESGCM]:
        ck = self._locked_customer_key(customer_id)
        # Re-check under the lock: a concurrent first seal may have made it.
        row = self.DataKey.objects.filter(scope=scope, scope_id=scope_id).first()
        if row is not None:
            return row, self._unwrap_data_key(row)
        key = crypto.new_key()
        row = self.DataKey(
            id=uuid.uuid4(),
            customer_id=customer_id,
            scope=scope,
            scope_id=scope_id,
            customer_key_version=ck.version,
        )
        row.wrapped = crypto.wrap_key(
            self._unwrap_customer_key(ck),
            key,
            data_key_aad(row.id, customer_id, scope, scope_id, ck.version),
        )
        row.save(force_insert=True)
        aead = crypto.cipher(key)
        self._remember(row, aead)
        return row, aead

    def _map_after_commit(self, row: Any, aead: AESGCM) -> None:
        entry = (("scope", row.scope, row.scope_id), (row.id, aead))
        owner = row.customer_id
        transaction.on_commit(lambda: self.cache.put(*entry, owner=owner))

    def data_key_for_opening(
        self, key_id: uuid.UUID, customer_id: int, scope: str, scope_id: str
    ) -> AESGCM:
        """The data key a sealed value names, if it is the key of that value's scope."""
        found = self.cache.get(("dk", key_id))
        if found is None:
            row = self.DataKey.objects.filter(pk=key_id).first()
            if row is None:
                raise KeyUnavailable("key_destroyed")
            aead = self._unwrap_data_key(row)
            found = (aead, row.customer_id, row.scope, row.scope_id)
        aead, owner, key_scope, key_scope_id = found
        if (owner, key_scope, key_scope_id) != (customer_id, scope, scope_id):
            raise crypto.Unauthentic("a value sealed for another scope")
        return aead

    def warm(self, key_ids: list[uuid.UUID]) -> None:
        """Load and unwrap these data keys (and their customers' keys) in two queries, so
        a list of N errands costs what one costs. Keys that do not load cleanly are left
        to the ordinary path, which reports why."""
        missing = [k for k in dict.fromkeys(key_ids) if self.cache.get(("dk", k)) is None]
        if not missing:
            return
        rows = list(self.DataKey.objects.filter(pk__in=missing))
        customers = {row.customer_id for row in rows}
        customer_keys = {
            ck.customer_id: ck for ck in self.CustomerKey.objects.filter(customer_id__in=customers)
        }
        for row in rows:
            ck = customer_keys.get(row.customer_id)
            if ck is None or ck.wrapped is None or ck.version != row.customer_key_version:
                continue
            try:
                key = crypto.unwrap_key(
                    self._unwrap_customer_key(ck),
                    _bytes(row.wrapped),
                    data_key_aad(row.id, row.customer_id, row.scope, row.scope_id, ck.version),
                )
            except (crypto.Unauthentic, KeyUnavailable):
                continue
            self._remember(row, crypto.cipher(key))

    def _unwrap_data_key(self, row: Any) -> AESGCM:
        cached = self.cache.get(("dk", row.id))
        if cached is not None:
            return cached[0]  # type: ignore[no-any-return]
        customer_id = row.customer_id
        ck = self.CustomerKey.objects.filter(customer_id=row.customer_id).first()
        if ck is not None and ck.version != row.customer_key_version:
            # Rotated between our two reads (rotation changes both in one transaction).
            row = self.DataKey.objects.filter(pk=row.id).first()
            ck = self.CustomerKey.objects.filter(customer_id=customer_id).first()
            if row is None:
                raise KeyUnavailable("key_destroyed")
        if ck is None or ck.wrapped is None:
            raise KeyUnavailable("key_destroyed")
        if ck.version != row.customer_key_version:
            raise crypto.Unauthentic("data key and customer key versions disagree")
        key = crypto.unwrap_key(
            self._unwrap_customer_key(ck),
            _bytes(row.wrapped),
            data_key_aad(row.id, row.customer_id, row.scope, row.scope_id, ck.version),
        )
        aead = crypto.cipher(key)
        self._remember(row, aead)
        return aead

    def _remember(self, row: Any, aead: AESGCM) -> None:
        # Data key ids are random UUIDs, never reused: an entry for a row that was later
        # rolled back or deleted can only ever open what was sealed under that same key.
        owner = row.customer_id
        self.cache.put(("dk", row.id), (aead, owner, row.scope, row.scope_id), owner=owner)

    # --- rotation and shredding ------------------------------------------------------------
    @transaction.atomic
    def rotate_customer_key(self, customer_id: int, *, new_key: bool) -> int:
        """Rewrap the customer's key under the active master key; with `new_key`, replace
        it by a new version and rewrap their data keys under it. Content is untouched.
        Returns how many data keys were rewrapped (0 for a shredded customer)."""
        row = self.CustomerKey.objects.select_for_update().filter(customer_id=customer_id).first()
        if row is None or row.wrapped is None:
            return 0
        old = self._unwrap_customer_key(row)
        rewrapped = 0
        if new_key:
            key = crypto.new_key()
            aead = crypto.cipher(key)
            version = row.version + 1
            data_keys = self.DataKey.objects.select_for_update().filter(customer_id=customer_id)
            for data_key in data_keys:
                plain = crypto.unwrap_key(
                    old,
                    _bytes(data_key.wrapped),
                    data_key_aad(
                        data_key.id,
                        customer_id,
                        data_key.scope,
                        data_key.scope_id,
                        data_key.customer_key_version,
                    ),
                )
                data_key.wrapped = crypto.wrap_key(
                    aead,
                    plain,
                    data_key_aad(
                        data_key.id, customer_id, data_key.scope, data_key.scope_id, version
                    ),
                )
                data_key.customer_key_version = version
                data_key.save(update_fields=["wrapped", "customer_key_version"])
                rewrapped += 1
            row.version = version
        else:
            key = self.master.unwrap(
                row.master_key_id, _bytes(row.wrapped), customer_key_aad(customer_id, row.version)
            )
            aead = old
        self._wrap_customer_key(row, key)
        row.rotated_at = timezone.now()
        row.save(update_fields=["version", "master_key_id", "wrapped", "rotated_at"])
        return rewrapped

    def shred(self, customer_id: int) -> int:
        """Destroy the customer's key (and their now useless data keys); call inside a
        transaction. Returns how many data keys went with it."""
        row = self.CustomerKey.objects.select_for_update().filter(customer_id=customer_id).first()
        if row is None:
            # Nothing sealed yet: leave a tombstone so nothing will be.
            row = self.CustomerKey(customer_id=customer_id, version=1)
        row.wrapped = None
        row.master_key_id = ""
        row.shredded_at = timezone.now()
        row.save()
        destroyed, _ = self.DataKey.objects.filter(customer_id=customer_id).delete()
        self.cache.forget_owner(customer_id)
        return int(destroyed)


_store: KeyStore | None = None


def key_cache() -> KeyCache:
    return store().cache


def store() -> KeyStore:
    global _store
    if _store is None:
        from django.conf import settings

        from hisho.vault.models import CustomerKey, DataKey

        _store = KeyStore(
            CustomerKey,
            DataKey,
            KeyCache(
                max_size=settings.HISHO_VAULT_KEY_CACHE_SIZE,
                ttl_seconds=settings.HISHO_VAULT_KEY_CACHE_SECONDS,
            ),
        )
    return _store


def reset_store() -> None:
    global _store
    _store = None
