"""Sealing and unsealing: the vault's front door (house rule 3).

`seal()` turns a value into ciphertext under the data key of its scope (an errand, or
a person's profile), bound to the table, row and field it is written to.

`unseal()` is the one function that turns ciphertext back into text. It takes the
reader, asks the access policy (hisho.vault.policy), opens the values, writes one
access-log entry when the reader is staff (the errand's assignee), and reports values
that do not open (tampered, moved, or shredded) as an audit event — never with their
content. Nothing else in Hisho decrypts customer content; the only other opener is
`open_triage_field()`, limited to the note a customer writes for coordinators.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hisho.accounts.principal import Principal
from hisho.vault import crypto
from hisho.vault.errors import CannotDecrypt, KeyUnavailable
from hisho.vault.keys import store
from hisho.vault.models import AccessAction, KeyScope
from hisho.vault.policy import GrantReader, Reader, acting_principal, unseal_role, unseal_roles

# What readers see in place of a value that cannot be decrypted (lists keep working).
PLACEHOLDER = "[This content cannot be decrypted.]"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose key seals a value, and which errand (None: the person's own profile)."""

    customer_id: int
    errand_id: uuid.UUID | None = None

    @property
    def key_scope(self) -> tuple[str, str]:
        if self.errand_id is not None:
            return KeyScope.ERRAND.value, str(self.errand_id)
        return KeyScope.PROFILE.value, str(self.customer_id)


@dataclass(frozen=True, slots=True)
class Place:
    """The table, row and field a value is written to (its associated data)."""

    table: str
    row_id: str
    field: str


@dataclass(frozen=True, slots=True)
class Opened:
    """One unsealed value: `text` is None when nothing was stored or it did not open."""

    text: str | None
    ok: bool = True

    def shown(self) -> str | None:
        """The text, or the placeholder for a value that did not open."""
        return self.text if self.ok else PLACEHOLDER


Sealed = bytes | memoryview | None


def _cell(scope: Scope, place: Place) -> crypto.Cell:
    return crypto.Cell(place.table, place.row_id, place.field, scope.customer_id)


def warm_keys(tokens: Sequence[Sealed]) -> None:
    """Load the data keys these values were sealed under in one go (a list page opens one
    value per row; without this, each row's key would be a query of its own)."""
    ids = []
    for token in tokens:
        if token is None:
            continue
        try:
            ids.append(uuid.UUID(bytes=crypto.key_id_of(bytes(token))))
        except (crypto.Unauthentic, ValueError):
            continue  # opening it will say why
    store().warm(ids)


def seal(scope: Scope, place: Place, plaintext: str | None) -> bytes | None:
    """Ciphertext for `plaintext` in `place`; None for an empty value (nothing stored)."""
    if not plaintext:
        return None
    key_id, aead = store().data_key_for_sealing(scope.customer_id, *scope.key_scope)
    return crypto.seal_value(aead, key_id, _cell(scope, place), plaintext)


def _open(scope: Scope, place: Place, token: bytes, keys: dict[bytes, Any]) -> str:
    """Open one value; `keys` remembers, for one call, each data key (or why it is
    unavailable) so a page of messages under one key looks the key up once."""
    raw_id = crypto.key_id_of(token)
    aead = keys.get(raw_id)
    if aead is None:
        try:
            aead = store().data_key_for_opening(
                uuid.UUID(bytes=raw_id), scope.customer_id, *scope.key_scope
            )
        except crypto.Unauthentic:
            aead = "tampered"
        except KeyUnavailable as exc:
            aead = exc.reason
        keys[raw_id] = aead
    if aead == "tampered":
        raise crypto.Unauthentic("the data key is not this scope's")
    if isinstance(aead, str):
        raise KeyUnavailable(aead)
    return crypto.open_value(aead, token, _cell(scope, place))


def _open_all(
    scope: Scope, items: Sequence[tuple[Place, Sealed]]
) -> tuple[list[Opened], list[tuple[Place, str]]]:
    opened: list[Opened] = []
    failures: list[tuple[Place, str]] = []
    keys: dict[bytes, Any] = {}
    for place, token in items:
        if token is None:
            opened.append(Opened(None))
            continue
        try:
            opened.append(Opened(_open(scope, place, bytes(token), keys)))
        except crypto.Unauthentic:
            opened.append(Opened(None, ok=False))
            failures.append((place, "tampered"))
        except KeyUnavailable as exc:
            opened.append(Opened(None, ok=False))
            failures.append((place, exc.reason))
    return opened, failures


def unseal(
    reader: Principal | GrantReader,
    scope: Scope,
    items: Sequence[tuple[Place, Sealed]],
    *,
    action: AccessAction | None,
    strict: bool = False,
) -> list[Opened]:
    """Open `items` for `reader`, in order.

    Raises NotFound unless the policy lets the reader unseal this scope. A value that
    does not open comes back as `Opened(None, ok=False)` (or, with `strict`, raises
    CannotDecrypt) and is reported in the audit log. A staff reader's successful read
    is written to the owner's access log as one `action` entry for the whole call.
    """
    from hisho.vault.actions import do_log_staff_access

    role = unseal_role(reader, scope.customer_id, scope.errand_id)
    opened, failures = _open_all(scope, items)
    _report(reader, scope, failures)
    if failures and strict:
        raise CannotDecrypt(failures[0][1])
    if role is Reader.GRANTEE and any(item.text is not None for item in opened):
        if action is None:
            raise ValueError("a read under a grant needs an access-log action")
        assert isinstance(reader, GrantReader)  # noqa: S101 - GRANTEE implies it
        entry = do_log_staff_access(
            actor=reader.principal.user,
            customer_id=scope.customer_id,
            errand_id=scope.errand_id,
            action=action,
        )
        if entry is not None:  # not a further read of an errand already logged
            reader.unsealed(entry)
    if role is Reader.ASSIGNEE and any(item.text is not None for item in opened):
        if action is None or scope.errand_id is None:
            raise ValueError("a staff read needs an access-log action and an errand")
        do_log_staff_access(
            actor=acting_user(reader),
            customer_id=scope.customer_id,
            errand_id=scope.errand_id,
            action=action,
        )
    return opened


# Fields written *for* triage readers — the customer's note for coordinators, DLP-redacted —
# rather than customer content; encrypted at rest under the errand's key, so shredding
# covers them too.
TRIAGE_FIELDS = frozenset({"triage_note"})


def open_triage_field(scope: Scope, place: Place, token: Sealed) -> Opened:
    """A field the customer wrote for triage (admins and the queue see it by design).

    Not an unseal of customer content: it takes no reader, writes no access-log entry,
    and refuses any field but the triage fields.
    """
    if place.field not in TRIAGE_FIELDS:
        raise ValueError("only triage fields open without a reader")
    opened, failures = _open_all(scope, [(place, token)])
    _report(None, scope, failures)
    return opened[0]


# Keys the vault made for a scope — the errand's blind-index key (hisho/search) — sealed
# under that scope's data key so that shredding destroys them with everything else.
# Random bytes, not customer content: they open without a reader and log no read.
KEY_FIELDS = frozenset({"search_key"})


def open_key_fields(items: Sequence[tuple[Scope, Place, Sealed]]) -> list[str | None]:
    """Open keys of `KEY_FIELDS` (with one key load for them all); None where a key does
    not open — a shredded customer's above all, whose keys are meant never to open again.
    Refuses any other field."""
    if any(place.field not in KEY_FIELDS for _, place, _ in items):
        raise ValueError("only key fields open this way")
    warm_keys([token for _, _, token in items])
    out: list[str | None] = []
    for scope, place, token in items:
        opened, failures = _open_all(scope, [(place, token)])
        _report(None, scope, failures)
        out.append(opened[0].text)
    return out


def acting_user(reader: Any) -> Any:
    """The person behind a reader, for the audit log (None for no reader)."""
    principal = acting_principal(reader)
    return principal.user if principal is not None else None


def _report(reader: Any, scope: Scope, failures: list[tuple[Place, str]]) -> None:
    """Audit values that did not open — except those of a shredded customer, which are
    meant not to open (reporting them would fill the log on every list page)."""
    from hisho.vault.actions import do_report_unseal_failure

    incidents = [failure for failure in failures if failure[1] != "key_destroyed"]
    if incidents:
        place, reason = incidents[0]
        do_report_unseal_failure(
            actor=acting_user(reader),
            scope=scope,
            place=place,
            reason=reason,
            count=len(incidents),
        )


def unseal_many(
    reader: Principal,
    customer_id: int,
    requests: Sequence[tuple[Scope, Sequence[tuple[Place, Sealed]]]],
    *,
    action: AccessAction | None,
) -> list[list[Opened]]:
    """`unseal` for many errands of one customer at once — a list page — with one policy
    question and one key load for them all. Staff reads are logged per errand, as one
    call each would be."""
    from hisho.vault.actions import do_log_staff_access

    errand_ids = [scope.errand_id for scope, _ in requests if scope.errand_id is not None]
    if len(errand_ids) != len(requests) or any(s.customer_id != customer_id for s, _ in requests):
        raise ValueError("unseal_many opens errands of one customer")
    roles = unseal_roles(reader, customer_id, errand_ids)
    warm_keys([token for _, items in requests for _, token in items])
    out = []
    for (scope, items), errand_id in zip(requests, errand_ids, strict=True):
        opened, failures = _open_all(scope, items)
        _report(reader, scope, failures)
        if roles[errand_id] is not Reader.OWNER and any(o.text is not None for o in opened):
            if action is None:
                raise ValueError("a staff read needs an access-log action")
            do_log_staff_access(
                actor=reader.user, customer_id=customer_id, errand_id=errand_id, action=action
            )
        out.append(opened)
    return out
