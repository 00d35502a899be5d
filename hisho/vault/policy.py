"""Who may unseal what: the access policy the vault asks before every unseal.

The vault knows one rule of its own — a person's profile fields open for that person
alone — and refuses everything else unless a rule that an app *registered* grants it
(`register`). The vault imports no app (an import-linter contract checks it); the apps
register, at start-up (their AppConfig.ready):

- hisho.desk: an errand's content opens for its owner and its *current* assignee,
  decided on the errand as it is in the database now, not on a copy the caller holds — so
  a reassignment or a role change takes effect at the very next unseal;
- hisho.legal: a reader acting under a time-limited disclosure grant, for whatever the
  grant, as it is in the database now, covers; and the access-log entries of reads whose
  notice is deferred, which the person sees once notice is given.

Every reader is a principal (hisho/accounts/principal.py), or a grant reader acting for
one; a staff principal without a passed second factor opens nothing. Everyone else,
admins and superusers included, is refused with the same not-found the rest of the
service gives for objects one may not see.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any, Protocol, runtime_checkable

from hisho.accounts.principal import Principal
from hisho.errors import NotFound

PERSON_NOT_FOUND = "No such person."
CONTENT_NOT_FOUND = "No such errand."


class Reader(enum.Enum):
    OWNER = "owner"
    ASSIGNEE = "assignee"
    GRANTEE = "grantee"


@runtime_checkable
class GrantReader(Protocol):
    """A principal acting under a grant rather than as themself (hisho.legal's disclosure
    reader). The vault tells it of each access-log entry written for a read under it."""

    principal: Principal

    def unsealed(self, entry: Any) -> None: ...


class UnsealRule:
    """What an app registers with the vault. Each method abstains (None) by default."""

    def standing(
        self, reader: Principal | GrantReader, customer_id: int, errand_id: uuid.UUID | None
    ) -> Reader | None:
        """The reader's standing for this customer's data (and errand), or None."""
        return None

    def standings(
        self, reader: Principal | GrantReader, customer_id: int, errand_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Reader]:
        """`standing` for many errands of one customer at once (a list page); a rule that
        can answer in one query overrides it."""
        out = {}
        for errand_id in errand_ids:
            standing = self.standing(reader, customer_id, errand_id)
            if standing is not None:
                out[errand_id] = standing
        return out

    def withheld_entry_ids(self, customer_id: int) -> Any | None:
        """Ids (a queryset of values) of access-log entries the person may not see yet."""
        return None


_RULES: list[UnsealRule] = []


def register(rule: UnsealRule) -> None:
    """Add an app's rule (once; registering the same rule again is a no-op)."""
    if not any(type(existing) is type(rule) for existing in _RULES):
        _RULES.append(rule)


def rules() -> tuple[UnsealRule, ...]:
    return tuple(_RULES)


def acting_principal(reader: Any) -> Principal | None:
    """The principal behind `reader`: itself, or the one a grant reader acts for."""
    if isinstance(reader, Principal):
        return reader
    if isinstance(reader, GrantReader) and isinstance(reader.principal, Principal):
        return reader.principal
    return None


def unseal_role(reader: Any, customer_id: int, errand_id: uuid.UUID | None) -> Reader:
    """The reader's standing, or NotFound if they may not unseal (fail closed: no
    principal, a deactivated one, a staff principal without a second factor for anything
    but their own profile, or no rule granting it)."""
    missing = NotFound(PERSON_NOT_FOUND if errand_id is None else CONTENT_NOT_FOUND)
    principal = acting_principal(reader)
    if principal is None or not principal.active:
        raise missing
    # A person's own profile, for themself — staff included, before their second factor:
    # it is their own account, which they may always see and export.
    if errand_id is None and reader is principal and principal.pk == customer_id:
        return Reader.OWNER
    if not principal.cleared:
        raise missing
    for rule in _RULES:
        standing = rule.standing(reader, customer_id, errand_id)
        if standing is not None:
            return standing
    raise missing


def unseal_roles(
    reader: Any, customer_id: int, errand_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Reader]:
    """`unseal_role` for many errands of one customer; NotFound unless every one is
    granted (a list only ever holds what its reader may open)."""
    principal = acting_principal(reader)
    if principal is None or not principal.cleared:
        raise NotFound(CONTENT_NOT_FOUND)
    granted: dict[uuid.UUID, Reader] = {}
    for rule in _RULES:
        pending = [e for e in errand_ids if e not in granted]
        if not pending:
            break
        granted.update(rule.standings(reader, customer_id, pending))
    if len(granted) != len(set(errand_ids)):
        raise NotFound(CONTENT_NOT_FOUND)
    return granted
