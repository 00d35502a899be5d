"""Who may unseal what: the access policy the vault asks before every unseal.

- a profile's sealed fields: only the person themself;
- an errand's content: its owner and its *current* assignee (hisho.desk.access), decided
  on the errand as it is in the database now, not on a copy the caller holds — so a
  reassignment or a role change takes effect at the very next unseal;
- a reader acting under a time-limited grant (`UnsealGrant`: a legal disclosure case,
  hisho.legal) whatever that grant, as it is in the database now, covers. Its reads go
  to the owner's access log like a staff read.

Everyone else, admins and superusers included, is refused with the same not-found the
rest of the service gives for objects one may not see.
"""

from __future__ import annotations

import abc
import enum
import uuid
from typing import TYPE_CHECKING, Any

from django.db import connection

from hisho.errors import NotFound

if TYPE_CHECKING:
    from hisho.desk.models import Errand


class Reader(enum.Enum):
    OWNER = "owner"
    ASSIGNEE = "assignee"
    GRANTEE = "grantee"


class UnsealGrant(abc.ABC):
    """A reader acting under a time-limited grant rather than as themself (hisho.legal's
    disclosure grant). `user` is the staff member acting; `unsealed` is told of each
    access-log entry written for a read under the grant."""

    user: Any

    @abc.abstractmethod
    def permits_unseal(self, customer_id: int, errand_id: uuid.UUID | None) -> bool:
        """Whether the grant, as it is in the database now, covers this unseal."""

    @abc.abstractmethod
    def unsealed(self, entry: Any) -> None: ...


def unseal_role(reader: Any, customer_id: int, errand_id: uuid.UUID | None) -> Reader:
    """The reader's standing, or NotFound if they may not unseal."""
    from hisho.desk.access import ERRAND_NOT_FOUND, is_participant

    if isinstance(reader, UnsealGrant):
        if reader.permits_unseal(customer_id, errand_id):
            return Reader.GRANTEE
        raise NotFound("No such person." if errand_id is None else ERRAND_NOT_FOUND)
    signed_in = getattr(reader, "is_authenticated", False) and getattr(reader, "is_active", False)
    if errand_id is None:
        if signed_in and reader.pk == customer_id:
            return Reader.OWNER
        raise NotFound("No such person.")
    if not signed_in:
        raise NotFound(ERRAND_NOT_FOUND)
    current = _current_errand(errand_id)
    if current is None or current.customer_id != customer_id or not is_participant(reader, current):
        raise NotFound(ERRAND_NOT_FOUND)
    return Reader.OWNER if current.customer_id == reader.pk else Reader.ASSIGNEE


def _current_errand(errand_id: uuid.UUID) -> Errand | None:
    """Owner and assignee of the errand as committed now. One primary-key lookup in SQL:
    it runs on every unseal, and the ORM would cost ten times as much (bench/vault_bench.py)."""
    from hisho.desk.models import Errand

    meta = Errand._meta
    quote = connection.ops.quote_name
    sql = "SELECT {}, {} FROM {} WHERE {} = %s".format(  # noqa: S608 - names from the model
        quote(meta.get_field("customer").column),
        quote(meta.get_field("assignee").column),
        quote(meta.db_table),
        quote(str(meta.pk.column)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [meta.pk.get_db_prep_value(errand_id, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    return Errand(pk=errand_id, customer_id=row[0], assignee_id=row[1])
