"""The errand rule hisho.desk registers with the vault (hisho/vault/policy.py): an
errand's content opens for its owner and its *current* assignee, as the errand is in the
database at the moment of the unseal — so a reassignment or a role change takes effect at
the very next read, whatever copy of the errand the caller holds."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection

from hisho.accounts.principal import Principal
from hisho.desk.access import is_participant
from hisho.desk.models import Errand
from hisho.vault.policy import Reader, UnsealRule


class ErrandParticipants(UnsealRule):
    def standing(self, reader: Any, customer_id: int, errand_id: uuid.UUID | None) -> Reader | None:
        if errand_id is None or not isinstance(reader, Principal):
            return None
        current = _current_errand(errand_id)
        if current is None or current.customer_id != customer_id:
            return None
        if not is_participant(reader, current):
            return None
        return Reader.OWNER if current.customer_id == reader.pk else Reader.ASSIGNEE

    def standings(
        self, reader: Any, customer_id: int, errand_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Reader]:
        if not isinstance(reader, Principal) or not errand_ids:
            return {}
        out = {}
        for errand in _current_errands(errand_ids):
            if errand.customer_id == customer_id and is_participant(reader, errand):
                owner = errand.customer_id == reader.pk
                out[errand.pk] = Reader.OWNER if owner else Reader.ASSIGNEE
        return out


def _current_errands(errand_ids: list[uuid.UUID]) -> list[Errand]:
    """Owner and assignee of each errand as committed now, in one query."""
    rows = Errand.objects.filter(pk__in=errand_ids).values_list(
        "pk", "customer_id", "assignee_id", "assignee_accepted"
    )
    return [
        Errand(pk=pk, customer_id=c, assignee_id=a, assignee_accepted=ok) for pk, c, a, ok in rows
    ]


def _current_errand(errand_id: uuid.UUID) -> Errand | None:
    """Owner and assignee of the errand as committed now. One primary-key lookup in SQL:
    it runs on every unseal, and the ORM would cost ten times as much (bench/vault_bench.py)."""
    meta = Errand._meta
    quote = connection.ops.quote_name
    sql = "SELECT {}, {}, {} FROM {} WHERE {} = %s".format(  # noqa: S608 - names from the model
        quote(meta.get_field("customer").column),
        quote(meta.get_field("assignee").column),
        quote(str(meta.get_field("assignee_accepted").column)),
        quote(meta.db_table),
        quote(str(meta.pk.column)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [meta.pk.get_db_prep_value(errand_id, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    return Errand(
        pk=errand_id, customer_id=row[0], assignee_id=row[1], assignee_accepted=bool(row[2])
    )
