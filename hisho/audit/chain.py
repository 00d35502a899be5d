"""The hash chain: what an entry's hash covers, and the person-id commitments.

    entry_hash = SHA-256( canonical_json({
        "v": 1, "seq": n, "prev": <hash of entry n-1, or 64 zeros>,
        "at": "<UTC ISO 8601, microseconds>", "event": "...",
        "actor": <actor_ref or null>, "target_type": "...",
        "target": <target_ref if the target is a person, else target_id>,
        "extra": {key: <ref if the key names a person, else the value>} }) )

Person ids appear in the hashed document only as commitments (refs), so erasure can
remove the plain ids from the row and the hash still checks (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any, Protocol

from django.conf import settings

from hisho.signing.canonical import canonical_json

GENESIS = "0" * 64
CHAIN_VERSION = 1

# Keys of `extra` whose (integer) values are person ids: they are committed like the
# actor. Callers naming a person in `extra` use one of these keys.
PERSON_KEYS = frozenset(
    {
        "customer_id",
        "assignee_id",
        "previous_assignee_id",
        "user_id",
        "person_id",
    }
)


def person_target_type() -> str:
    """`target_type` of a person (the user model's label, e.g. "accounts.user")."""
    return str(settings.AUTH_USER_MODEL).lower()


def commitment(key: bytes, user_id: int) -> str:
    """A person's pseudonym: HMAC-SHA256 under their own audit key."""
    message = f"hisho-audit-subject/1|user|{int(user_id)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def iso_at(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


class EntryFields(Protocol):
    seq: int
    prev_hash: str
    at: dt.datetime
    event: str
    actor_ref: str
    target_type: str
    target_id: str
    target_ref: str
    extra: Any
    extra_refs: Any


def hashed_document(entry: EntryFields) -> dict[str, Any]:
    refs = entry.extra_refs or {}
    return {
        "v": CHAIN_VERSION,
        "seq": entry.seq,
        "prev": entry.prev_hash,
        "at": iso_at(entry.at),
        "event": entry.event,
        "actor": entry.actor_ref or None,
        "target_type": entry.target_type,
        "target": entry.target_ref or entry.target_id,
        "extra": {key: refs.get(key, value) for key, value in (entry.extra or {}).items()},
    }


def entry_hash(entry: EntryFields) -> str:
    return hashlib.sha256(canonical_json(hashed_document(entry))).hexdigest()
