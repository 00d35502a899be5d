"""What an entry's leaf hash covers, and the person-id commitments.

    leaf_hash = SHA-256( 0x00 || canonical_json({
        "v": 3,
        "salt": "<128 random bits, hex>",
        "at": "<UTC ISO 8601, microseconds>", "event": "...",
        "actor": <actor_ref or null>, "target_type": "...",
        "target": <target_ref if the target is a person, else target_id>,
        "extra": {key: <ref if the key names a person, else the value>} }) )

— an RFC 6962 leaf (hisho.audit.merkle). The salt is why a public leaf tells nothing:
without it, the document of an entry that names nobody (a failed sign-in) could be
guessed — event name and microsecond — and confirmed against the leaf. It stays in the
database (and in the one entry a customer downloads with its proof). Entries written
before the salt (version 2) keep their document without it; entries of the former hash
chain (version 1) also have "seq" (their position, = leaf index + 1) and "prev" (the
chain hash of the entry before); their chain hash was SHA-256 of the same bytes.

Person ids appear in the hashed document only as commitments (refs), so erasure can
remove the plain ids from the row and the hash still checks (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from typing import Any, Protocol

from django.conf import settings

from hisho.audit import merkle
from hisho.signing.canonical import MAX_SAFE_INTEGER, canonical_json

GENESIS = "0" * 64  # "prev" of the former chain's first entry
CHAIN_VERSION = 1
TREE_VERSION = 2  # appended to the tree, no salt
SALTED_VERSION = 3  # appended to the tree, salted: what record_event writes
VERSIONS = (CHAIN_VERSION, TREE_VERSION, SALTED_VERSION)
SALT_BYTES = 16

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


def new_salt() -> str:
    return secrets.token_hex(SALT_BYTES)


_SALT = re.compile(rf"[0-9a-f]{{{2 * SALT_BYTES}}}")


def is_salt(value: str) -> bool:
    """What new_salt() makes: lowercase hex of SALT_BYTES bytes. (The verifier asks this of
    a million entries: one regex, not a loop per character.)"""
    return _SALT.fullmatch(value) is not None


def iso_at(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


class EntryFields(Protocol):
    version: int
    leaf_index: int | None
    prev_hash: str
    salt: str
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
    document: dict[str, Any] = {
        "v": entry.version,
        "at": iso_at(entry.at),
        "event": entry.event,
        "actor": entry.actor_ref or None,
        "target_type": entry.target_type,
        "target": entry.target_ref or entry.target_id,
        "extra": {key: refs.get(key, value) for key, value in (entry.extra or {}).items()},
    }
    if entry.version >= SALTED_VERSION:
        document["salt"] = entry.salt
    if entry.version == CHAIN_VERSION:
        document["seq"] = (entry.leaf_index if entry.leaf_index is not None else -1) + 1
        document["prev"] = entry.prev_hash
    return document


# The C JSON encoder with sorted keys and no whitespace writes exactly RFC 8785's bytes for
# documents whose keys are ASCII (code-point order = UTF-16 order) and whose values are
# strings, null, booleans and safe integers — every entry record_event writes. The
# verifier hashes a million of these; with the general encoder an entry's bytes take about
# three times as long (measured: 450 against 140 µs, document included, on a loaded machine).
_FAST_ENCODE = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _plain(extra: Any) -> bool:
    if type(extra) is not dict:
        return False
    for key, value in extra.items():
        if type(key) is not str or not key.isascii():
            return False
        kind = type(value)
        if kind is int:
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                return False
        elif not (value is None or kind is str or kind is bool):
            return False
    return True


def leaf_data(entry: EntryFields) -> bytes:
    """The bytes the entry's Merkle leaf is the hash of: canonical JSON (RFC 8785) of the
    hashed document (tests/audit/test_chain.py checks the fast path against it)."""
    document = hashed_document(entry)
    if _plain(document["extra"]):
        try:
            return _FAST_ENCODE(document).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: the general encoder says so
    return canonical_json(document)


# The leaf that stands for a row whose stored columns make no document (an `extra` that is
# no object, a float in it, a time that does not parse: only a hand in the database writes
# one) when its stored leaf hash is no SHA-256 either: the sequencer integrates it, and
# `hisho audit-verify` re-derives the same tree while naming the row.
UNREADABLE_LEAF = merkle.leaf_hash(b"")


def readable_leaf_data(entry: EntryFields) -> bytes | None:
    """`leaf_data`, or None when the row's stored columns make no hashed document."""
    try:
        return leaf_data(entry)
    except (ValueError, TypeError, AttributeError, RecursionError):  # NotCanonical: ValueError
        return None


def leaf_hash(entry: EntryFields) -> str:
    """The entry's RFC 6962 leaf hash, hex."""
    return merkle.leaf_hash(leaf_data(entry)).hex()


def chain_hash(entry: EntryFields) -> str:
    """Version 1 only: the entry's hash in the former chain (what "prev" and the old signed
    checkpoints name)."""
    return hashlib.sha256(leaf_data(entry)).hexdigest()
