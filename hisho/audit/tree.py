"""The audit log's Merkle tree in the database: integrating committed entries (the
sequencer's step), signing tree heads, and serving proofs (docs/audit.md).

Appends (`record_event`) only insert a row with its leaf hash. `integrate_pending` — run
by the sequencer (hisho.audit.sequencer) and by `hisho audit-checkpoint` — takes the
committed entries that have no leaf index yet, in id order, gives them the next leaf
indices, stores every perfect subtree node they complete, and signs a C2SP checkpoint
for the new size, all in one transaction. Integrations never overlap: PostgreSQL takes
a transaction-level advisory lock; SQLite's write transaction is exclusive anyway.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from hisho.audit import merkle, note
from hisho.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from hisho.errors import Unavailable

log = logging.getLogger(__name__)

LEVEL_SHIFT = 56
# pg advisory lock keys (two int4s): "audit" and what is locked.
LOCK_CLASS = 0x61756474
LOCK_INTEGRATE = 1
LOCK_SEQUENCER = 2
BATCH = 5000


def node_key(level: int, index: int) -> int:
    return (level << LEVEL_SHIFT) | index


def origin() -> str:
    """The log's name: the first line of every checkpoint and the signing key's name in
    it. Fixed by the log's first signed head: the log's identity, which witnesses hold it
    to, does not follow later changes of the settings (`make run PORT=8080` sets another
    HISHO_PUBLIC_URL: every head would have failed `hisho audit-verify`, and witnesses
    would have rejected every new one as another log). Before the first head:
    `configured_origin()`."""
    first = AuditTreeHead.objects.order_by("size").values_list("note", flat=True).first()
    if first:
        return first.split("\n", 1)[0]
    return configured_origin()


def configured_origin() -> str:
    """`HISHO_AUDIT_LOG_ORIGIN`, else `<host of HISHO_PUBLIC_URL>/audit`."""
    configured = getattr(settings, "HISHO_AUDIT_LOG_ORIGIN", "")
    if configured:
        return str(configured)
    host = urlsplit(str(getattr(settings, "HISHO_PUBLIC_URL", ""))).netloc or "hisho.localhost"
    return f"{host}/audit"


def load_nodes(keys: Iterable[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    wanted = {node_key(level, index): (level, index) for level, index in keys}
    if not wanted:
        return {}
    found = AuditTreeNode.objects.filter(key__in=list(wanted)).values_list("key", "hash")
    return {wanted[key]: bytes(value) for key, value in found}


def latest_head() -> AuditTreeHead | None:
    return AuditTreeHead.objects.order_by("-size").first()


def integrated_size() -> int:
    top = AuditEvent.objects.aggregate(top=Max("leaf_index"))["top"]
    return 0 if top is None else int(top) + 1


def _lock_integration() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, LOCK_INTEGRATE])


def _assign_indices(pairs: list[tuple[int, int]]) -> int:
    """Set leaf_index for (event id, index) pairs, in one statement."""
    values = ", ".join(["(%s, %s)"] * len(pairs))
    params = [x for pair in pairs for x in pair]
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {table} AS e SET leaf_index = v.idx "  # noqa: S608 - fixed names
            f"FROM (VALUES {values}) AS v(id, idx) "
            "WHERE e.id = v.id AND e.leaf_index IS NULL"
        )
    else:
        sql = (
            f"UPDATE {table} SET leaf_index = v.idx "  # noqa: S608 - fixed names
            f"FROM (SELECT column1 AS id, column2 AS idx FROM (VALUES {values})) AS v "
            f"WHERE {table}.id = v.id AND {table}.leaf_index IS NULL"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def sign_checkpoint(size: int, root: bytes) -> tuple[str, str]:
    """The signed note for (size, root), and the id of the key that signed it."""
    from hisho.signing.service import sign_with_public_key

    name = origin()
    if not note.valid_name(name):
        # Signed anyway, the head would be one no verifier can read, and the first head
        # fixes the log's name for good (`origin`): sign nothing until the setting is fixed.
        raise ImproperlyConfigured(
            f"the audit log's origin {name!r} is not a signed note's key name (no spaces, "
            "no '+'): set HISHO_AUDIT_LOG_ORIGIN"
        )
    text = note.Checkpoint(name, size, root).text()
    signature, public_key = sign_with_public_key(text.encode())
    return note.signed_note(text, name, public_key, signature.signature), signature.key_id


_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def _leaf(event_id: int, stored: str) -> bytes:
    """The leaf to integrate: the hash the entry's transaction stored, which `hisho
    audit-verify` later checks against its content. One that is not a SHA-256 in hex —
    only a hand in the database makes that — must neither enter the tree as it is (a
    2-byte "hash") nor stop the sequencer for good (every later entry left unprotected):
    the hash of the entry's content goes in instead, and the log says so (ids only).
    `hisho audit-verify` goes on reporting the row (its stored hash cannot be made to
    match: the append-only trigger refuses the UPDATE)."""
    if _HEX_HASH.fullmatch(stored or ""):
        return bytes.fromhex(stored)
    from hisho.audit import chain

    log.error("audit: entry %s has a malformed leaf hash; integrating its content's hash", event_id)
    data = chain.readable_leaf_data(AuditEvent.objects.get(pk=event_id))
    if data is None:
        # Its content makes no document either: this row must not stop the sequencer for
        # good (every later entry unsigned); audit-verify names it.
        log.error("audit: entry %s has no readable content; integrating a placeholder", event_id)
        return chain.UNREADABLE_LEAF
    return merkle.leaf_hash(data)


class TreeMismatch(Exception):
    """The stored tree is not the one the log last signed: integrated leaves that no
    signed head covers, stored nodes that no longer give the latest head's root, a latest
    head that is not Hisho's signature, or the head this sequencer signed gone. Only a
    hand in the database does that; signing on would put Hisho's signature on the rewrite
    (docs/audit.md §6), so nothing is signed until an operator has looked."""


# Where a sequencer last left the log: (size, root hash in hex) of the head it signed.
Anchor = tuple[int, str]


def _check_extends(
    head: AuditTreeHead | None, size: int, edge: dict[merkle.NodeKey, bytes], anchor: Anchor | None
) -> None:
    """Raise TreeMismatch unless the stored tree of `size` leaves (its right `edge` of
    nodes) is exactly what the latest signed `head` signed, and that head extends the one
    this sequencer last signed (`anchor`). Runs once per head about to be signed (about
    one a second), never on a write: two small queries (the signing key's row, the log's
    origin) and, after another sequencer signed, one read of nodes."""
    from hisho.audit import chain
    from hisho.signing.keys import trusted_public_key

    if head is None:
        # Leaves with no head at all: only the hash chain that migration audit 0004 folded
        # into the tree, before the first head was ever signed. Anything later means heads
        # were deleted.
        if (
            size
            and AuditEvent.objects.filter(
                leaf_index__isnull=False, version__gt=chain.CHAIN_VERSION
            ).exists()
        ):
            raise TreeMismatch(f"{size} leaves are integrated and no signed tree head covers them")
    else:
        if head.size != size:
            raise TreeMismatch(
                f"the latest signed tree head is of size {head.size}, the tree has {size} leaves"
            )
        public = trusted_public_key(head.key_id)
        try:
            if public is None:
                raise ValueError("not signed by one of Hisho's keys")
            signed = note.open_checkpoint(
                head.note, [note.Verifier(origin(), public.public_bytes_raw())]
            )
        except ValueError as exc:
            raise TreeMismatch(f"the signed tree head of size {head.size}: {exc}") from None
        if (signed.size, signed.root.hex()) != (head.size, head.root_hash):
            raise TreeMismatch(f"the tree head of size {head.size} says other than its signature")
        if merkle.range_hash(0, size, edge).hex() != head.root_hash:
            raise TreeMismatch(
                f"the stored tree of {size} leaves does not have the signed tree head's root"
            )
    if anchor is not None:
        anchor_size, anchor_root = anchor
        if head is None or head.size < anchor_size:
            raise TreeMismatch(f"the signed tree head of size {anchor_size} is gone")
        at_anchor = (
            head.root_hash
            if head.size == anchor_size
            else merkle.range_hash(0, anchor_size, load_nodes(merkle.right_edge(anchor_size))).hex()
        )
        if at_anchor != anchor_root:
            raise TreeMismatch(
                f"the tree no longer extends the signed tree head of size {anchor_size}"
            )


def integrate_pending(
    *, limit: int = BATCH, sign_unchanged: bool = False, anchor: Anchor | None = None
) -> AuditTreeHead | None:
    """Integrate up to `limit` committed entries and sign the new head. None when there
    was nothing to integrate (and the latest head already covers the tree). Before
    signing, the stored tree must be the latest signed head's and extend `anchor` (the
    head the caller last signed), else TreeMismatch and nothing changes."""
    from hisho.signing.actions import do_ensure_signing_key

    do_ensure_signing_key()  # before the transaction: making the first key is an event
    with transaction.atomic():
        _lock_integration()
        size = integrated_size()
        head = latest_head()
        pending = list(
            AuditEvent.objects.filter(leaf_index__isnull=True)
            .order_by("id")
            .values_list("id", "leaf_hash")[:limit]
        )
        if not pending and head is not None and head.size == size and not sign_unchanged:
            return None
        if not pending and size == 0:
            return None
        old = load_nodes(merkle.right_edge(size))
        _check_extends(head, size, old, anchor)
        leaves = [_leaf(event_id, value) for event_id, value in pending]
        made = merkle.new_nodes(size, leaves, old)
        if pending:
            pairs = [(event_id, size + offset) for offset, (event_id, _) in enumerate(pending)]
            if _assign_indices(pairs) != len(pairs):
                raise RuntimeError("audit entries changed while being integrated")
            AuditTreeNode.objects.bulk_create(
                [AuditTreeNode(key=node_key(*key), hash=value) for key, value in made.items()],
                batch_size=2000,
            )
        new_size = size + len(pending)
        root = merkle.range_hash(0, new_size, {**old, **made})
        if head is not None and head.size == new_size:
            if head.root_hash != root.hex():
                log.error("audit: the signed head of size %s does not match the tree", new_size)
            return None  # a head of this size exists already (heads are append-only)
        signed, key_id = sign_checkpoint(new_size, root)
        return AuditTreeHead.objects.create(
            size=new_size, root_hash=root.hex(), at=timezone.now(), key_id=key_id, note=signed
        )


def integrate_all() -> AuditTreeHead | None:
    """Integrate until nothing is pending; the last head signed (None: nothing new)."""
    last = None
    while True:
        head = integrate_pending()
        if head is None:
            return last
        last = head
        if AuditEvent.objects.filter(leaf_index__isnull=True).count() == 0:
            return last


# --- proofs -------------------------------------------------------------------------------------


class ProofError(ValueError):
    """A proof for sizes or indices the log has not signed."""


class TreeIncomplete(Unavailable):
    """Nodes a proof needs are missing from the stored tree: only a hand in the database
    removes one (the sequencer stores each perfect subtree once complete, and refuses to
    sign while the tree lacks them). Not the caller's fault: 503, and the operator is told
    in the log; `hisho audit-verify` names the missing nodes."""


def _proof_nodes(keys: Iterable[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    wanted = set(keys)
    nodes = load_nodes(wanted)
    if len(nodes) != len(wanted):
        log.error(
            "audit: %d stored tree node(s) a proof needs are missing", len(wanted - set(nodes))
        )
        raise TreeIncomplete(
            "The log's stored tree is incomplete, so no proof can be served now; "
            "its operator has been told."
        )
    return nodes


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    hashes: list[bytes]


def _covered(size: int, latest: AuditTreeHead | None = None) -> None:
    """Proofs are served for every size up to the latest signed head's, not only for the
    sizes heads were signed at: the tree of any size is fixed once its leaves are, every
    node its proofs need is stored (each perfect subtree, once complete), and RFC 9162
    clients may ask for any size their own checkpoints name."""
    latest = latest if latest is not None else latest_head()
    if size < 1 or latest is None or size > latest.size:
        raise ProofError("no signed tree head covers this size")


def inclusion_proof(
    index: int, size: int, *, latest: AuditTreeHead | None = None
) -> InclusionProof:
    """`latest`: the latest signed head, when the caller has read it already (one query
    less)."""
    _covered(size, latest)
    if not 0 <= index < size:
        raise ProofError("index must lie in [0, size)")
    ranges = merkle.inclusion_ranges(index, size)
    nodes = _proof_nodes(merkle.nodes_needed([*ranges, (index, index + 1)]))
    return InclusionProof(
        index, size, nodes[(0, index)], [merkle.range_hash(a, b, nodes) for a, b in ranges]
    )


def consistency_proof(old: int, new: int, *, latest: AuditTreeHead | None = None) -> list[bytes]:
    _covered(new, latest)
    if old < 1:
        raise ProofError("from must be at least 1")
    if old > new:
        raise ProofError("from must not be larger than to")
    ranges = merkle.consistency_ranges(old, new)
    nodes = _proof_nodes(merkle.nodes_needed(ranges))
    return [merkle.range_hash(a, b, nodes) for a, b in ranges]


def verifiers() -> list[note.Verifier]:
    """Every signing key, as a checkpoint verifier (name = this log's origin)."""
    from hisho.signing.models import SigningKey

    name = origin()
    return [
        note.Verifier(name, bytes(public))
        for public in SigningKey.objects.values_list("public_key", flat=True)
    ]


def verifier_for(key_id: str) -> note.Verifier:
    """The checkpoint verifier of one signing key."""
    from hisho.signing.models import SigningKey

    public = SigningKey.objects.values_list("public_key", flat=True).get(key_id=key_id)
    return note.Verifier(origin(), bytes(public))
