"""Inclusion-proof bundles a customer downloads and checks offline, and the check itself
(`hisho audit-verify-proof FILE`; hisho.audit.note and hisho.audit.merkle only, so it
needs no database).

A bundle is JSON:

    {"type": "hisho.audit.inclusion-proof", "v": 1,
     "entry": <the entry's hashed document>, "leaf_index": N, "tree_size": S,
     "leaf_hash": b64, "hashes": [b64, …],        # RFC 6962 inclusion proof
     "checkpoint": "<the signed tree head of size S, a C2SP signed note>",
     "verifier_key": "<origin>+<key hash>+<base64 key>"}

The leaf is SHA-256(0x00 || canonical_json(entry)) (RFC 8785 canonical JSON, which is
what `entry` is when re-serialised canonically). Any RFC 6962 verifier can check the
proof; any signed-note verifier the checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from hisho.audit import chain, merkle, note
from hisho.signing.canonical import NotCanonical, canonical_json

BUNDLE_TYPE = "hisho.audit.inclusion-proof"


def leaf_indices_for_access_log(entry_ids: list[int]) -> dict[int, int | None]:
    """access-log entry id → the leaf index of its `vault.staff_unsealed` audit event
    (None until integrated)."""
    from django.db.models.fields.json import KT

    from hisho.audit.models import AuditEvent

    if not entry_ids:
        return {}
    found: dict[int, int | None] = dict.fromkeys(entry_ids)
    rows = (
        AuditEvent.objects.annotate(access_log_id=KT("extra__access_log_id"))
        .filter(event="vault.staff_unsealed", access_log_id__in=[str(i) for i in entry_ids])
        .values_list("access_log_id", "leaf_index")
    )
    for access_log_id, leaf_index in rows:
        found[int(access_log_id)] = leaf_index
    return found


def access_log_entry_bundle(user: Any, leaf_index: int) -> dict[str, Any]:
    """The bundle for one of `user`'s own access-log entries (NotFound otherwise)."""
    from hisho.audit import tree
    from hisho.audit.models import AuditEvent
    from hisho.errors import NotFound
    from hisho.vault.access import access_log_for

    visible = access_log_for(user)  # customers only; withheld entries excluded
    entry = AuditEvent.objects.filter(leaf_index=leaf_index, event="vault.staff_unsealed").first()
    access_log_id = (entry.extra or {}).get("access_log_id") if entry is not None else None
    if (
        entry is None
        or not isinstance(access_log_id, int)
        or not visible.filter(pk=access_log_id).exists()
    ):
        raise NotFound("No such entry in your access log.")
    head = tree.latest_head()
    if head is None or head.size <= leaf_index:
        raise NotFound("No such entry in your access log.")
    proof = tree.inclusion_proof(leaf_index, head.size)
    return {
        "type": BUNDLE_TYPE,
        "v": 1,
        "entry": chain.hashed_document(entry),
        "leaf_index": leaf_index,
        "tree_size": head.size,
        "leaf_hash": tree.b64(proof.leaf_hash),
        "hashes": [tree.b64(h) for h in proof.hashes],
        "checkpoint": head.note,
        "verifier_key": tree.verifier_for(head.key_id).vkey,
    }


class BundleError(ValueError):
    """A bundle that is malformed or does not verify."""


@dataclass(frozen=True)
class Verified:
    leaf_index: int
    tree_size: int
    origin: str
    entry: dict[str, Any]
    # Set when no key was trusted and the head was checked with the bundle's own key: then
    # the bundle is consistent, but says nothing of who signed it (a forger signs too).
    bundle_key: note.Verifier | None = None


def load_bundle(data: bytes) -> Any:
    """A bundle file's JSON, parsed strictly: a key twice in one object (parsers disagree
    on which one wins, so a reader's tool and this one could see different bundles), NaN
    or Infinity (not JSON) and nesting too deep to parse are refused."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except BundleError:
        raise
    except RecursionError:
        raise BundleError("not JSON: nested too deep") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer too long
        raise BundleError(f"not JSON: {exc}") from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BundleError(f"not a bundle: duplicate key {key!a} in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise BundleError(f"not JSON: {name}")


def _position(bundle: dict[str, Any], field: str) -> int:
    value = bundle.get(field)
    # A JSON integer only: int() would also take "40", "٤٠" (Arabic-Indic digits), 40.9
    # and true, so the index a reader sees and the one verified could differ.
    if type(value) is not int or value < 0:
        raise BundleError(f"malformed bundle: {field} is not a non-negative integer")
    return value


def _hash(value: Any, field: str) -> bytes:
    try:
        digest = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):  # ValueError: not ASCII
        digest = b""
    if len(digest) != merkle.HASH_SIZE:
        raise BundleError(f"malformed bundle: {field} holds no base64 SHA-256 hash")
    return digest


def _leaf_data(entry: dict[str, Any]) -> bytes:
    try:
        return canonical_json(entry)
    except NotCanonical as exc:
        raise BundleError(f"the entry is not canonical JSON: {exc}") from None
    except RecursionError:
        raise BundleError("the entry is not canonical JSON: nested too deep") from None


def _signed_head(
    bundle: dict[str, Any], trusted: list[note.Verifier] | None
) -> tuple[note.Checkpoint, note.Verifier | None]:
    """The bundle's signed tree head, checked with `trusted`, else with the bundle's own
    key (returned: it is what the caller must compare)."""
    signed, vkey = bundle.get("checkpoint"), bundle.get("verifier_key")
    if not isinstance(signed, str):
        raise BundleError("malformed bundle: checkpoint is not a signed note")
    try:
        if trusted:
            return note.open_checkpoint(signed, trusted), None
        own = note.parse_vkey(vkey if isinstance(vkey, str) else "")
        return note.open_checkpoint(signed, [own]), own
    except note.NoteError as exc:
        raise BundleError(f"the signed tree head does not verify: {exc}") from None


def verify_bundle(bundle: Any, trusted: list[note.Verifier] | None = None) -> Verified:
    """Check a bundle offline. `trusted`: the log's verifier keys as you know them (pinned,
    or from a witness); without them the bundle's own `verifier_key` is used, and the
    result's `bundle_key` says so."""
    if (
        not isinstance(bundle, dict)
        or bundle.get("type") != BUNDLE_TYPE
        or type(bundle.get("v")) is not int
        or bundle["v"] != 1
    ):
        raise BundleError("not an inclusion-proof bundle")
    index, size = _position(bundle, "leaf_index"), _position(bundle, "tree_size")
    leaf = _hash(bundle.get("leaf_hash"), "leaf_hash")
    hashes = bundle.get("hashes")
    if not isinstance(hashes, list):
        raise BundleError("malformed bundle: hashes is not a list")
    proof = [_hash(h, "hashes") for h in hashes]
    entry = bundle.get("entry")
    if not isinstance(entry, dict):
        raise BundleError("malformed bundle: entry is not an object")
    if merkle.leaf_hash(_leaf_data(entry)) != leaf:
        raise BundleError("the entry does not match its leaf hash")
    checkpoint, own = _signed_head(bundle, trusted)
    if checkpoint.size != size:
        raise BundleError("the signed tree head is not of the proof's size")
    if not merkle.verify_inclusion(index, size, leaf, proof, checkpoint.root):
        raise BundleError("the inclusion proof does not verify against the signed root")
    return Verified(index, size, checkpoint.origin, entry, own)
