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
from dataclasses import dataclass
from typing import Any

from hisho.audit import chain, merkle, note

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
    pass


@dataclass(frozen=True)
class Verified:
    leaf_index: int
    tree_size: int
    origin: str
    entry: dict[str, Any]


def verify_bundle(bundle: Any, trusted: list[note.Verifier] | None = None) -> Verified:
    """Check a bundle offline. `trusted`: the log's verifier keys as you know them (pinned,
    or from a witness); without them the bundle's own `verifier_key` is used."""
    from hisho.signing.canonical import canonical_json

    if not isinstance(bundle, dict) or bundle.get("type") != BUNDLE_TYPE or bundle.get("v") != 1:
        raise BundleError("not an inclusion-proof bundle")
    try:
        index, size = int(bundle["leaf_index"]), int(bundle["tree_size"])
        leaf = base64.b64decode(bundle["leaf_hash"], validate=True)
        hashes = [base64.b64decode(h, validate=True) for h in bundle["hashes"]]
        entry = bundle["entry"]
        keys = trusted or [note.parse_vkey(str(bundle["verifier_key"]))]
        checkpoint = note.open_checkpoint(str(bundle["checkpoint"]), keys)
    except note.NoteError as exc:
        raise BundleError(f"the signed tree head does not verify: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"malformed bundle ({type(exc).__name__})") from None
    if not isinstance(entry, dict) or merkle.leaf_hash(canonical_json(entry)) != leaf:
        raise BundleError("the entry does not match its leaf hash")
    if checkpoint.size != size:
        raise BundleError("the signed tree head is not of the proof's size")
    if not merkle.verify_inclusion(index, size, leaf, hashes, checkpoint.root):
        raise BundleError("the inclusion proof does not verify against the signed root")
    return Verified(index, size, checkpoint.origin, entry)
