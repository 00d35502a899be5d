"""Checking the audit log (`hisho audit-verify`): re-derive the whole Merkle tree from the
entries, check every signed tree head against it, the person-id commitments, and the
former hash chain's entries and checkpoints. Reports the first bad entry.

What each check catches (docs/audit.md):
- an entry changed in place: its recomputed leaf hash differs from the stored one, and
  the re-derived root differs from every signed head after it;
- an entry deleted: a gap in the leaf indices;
- entries reordered or rewritten and rehashed, stored hashes and nodes included: the
  re-derived root no longer matches the signed heads;
- entries deleted from the end: a signed head knows a longer log;
- a plain person id changed: it no longer matches its commitment;
- a head forged or changed: its Ed25519 signature;
- a stored tree node (what proofs are served from) rewritten, missing or added, whether
  or not the entries were touched: every stored node is compared with the node
  re-derived from the entries (`_NodeCheck`), so a rewriter who recomputes only some
  hashes, or who rewrites nodes alone (proofs served for a tree that is not the
  entries'), is named.
Entries not yet integrated (no leaf index) are checked against their own leaf hash only:
no signed head covers them yet (the window; docs/audit.md §3).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from hisho.audit import chain, merkle, note
from hisho.audit.models import AuditCheckpoint, AuditEvent, AuditTreeHead, AuditTreeNode
from hisho.audit.subjects import SubjectBook, load_subjects
from hisho.textcheck import is_ascii_digits

MAX_PROBLEMS = 50
UNREADABLE = "its stored columns make no entry (extra, extra_refs or at of the wrong kind)"
_HEX_HASH = re.compile(r"[0-9a-f]{64}")

_FIELDS = (
    "pk",
    "leaf_index",
    "version",
    "at",
    "event",
    "actor_id",
    "target_type",
    "target_id",
    "extra",
    "actor_ref",
    "target_ref",
    "extra_refs",
    "prev_hash",
    "salt",
    "leaf_hash",
)


class _Row:
    """An entry as read for checking (values, not model instances: a million of them)."""

    __slots__ = _FIELDS
    pk: int
    leaf_index: int | None
    version: int
    at: Any
    event: str
    actor_id: int | None
    target_type: str
    target_id: str
    extra: Any
    actor_ref: str
    target_ref: str
    extra_refs: Any
    prev_hash: str
    salt: str
    leaf_hash: str

    def __init__(self, values: tuple[Any, ...]) -> None:
        for name, value in zip(_FIELDS, values, strict=True):
            setattr(self, name, value)


@dataclass(frozen=True)
class Problem:
    index: int | None  # the leaf index concerned (None: not one integrated entry)
    entry_id: int | None
    reason: str
    # A signed head that no longer matches covers a range of leaves: less precise than a
    # problem with one entry, so named first only when there is no such problem.
    covers_range: bool = False
    # The level of a stored tree node that does not match (None: not a node). Narrower
    # than a signed head's range, so named before it (the lowest first: the nodes above
    # a stale one differ too), but after a problem with an entry itself.
    node_level: int | None = None

    def __str__(self) -> str:
        if self.index is not None:
            where = f"leaf {self.index}"
        elif self.entry_id is not None:
            where = "a pending entry"
        else:
            where = "the log"
        if self.entry_id is not None:
            where += f" (id {self.entry_id})"
        return f"{where}: {self.reason}"


@dataclass
class Report:
    entries: int = 0
    pending: int = 0
    heads: int = 0
    checkpoints: int = 0
    size: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> Problem | None:
        """The earliest problem in the tree (by leaf index), else the first found."""
        placed = [p for p in self.problems if p.index is not None]
        precise = [p for p in placed if not p.covers_range]
        if precise:
            return min(precise, key=lambda p: p.index or 0)
        nodes = [p for p in placed if p.node_level is not None]
        if nodes:
            return min(nodes, key=lambda p: (p.node_level or 0, p.index or 0))
        if placed:
            return min(placed, key=lambda p: p.index or 0)
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


class _Versions:
    """Each entry's format: one of the three versions, a salted entry salted as
    record_event salts (a salt someone chose badly, or none, would make its public leaf
    guessable again), and no unsalted entry once salting began — record_event writes
    only salted ones since, so an unsalted entry after them was written or rewritten by
    someone else. (A well-formed salt someone chose cannot be told from a random one.)"""

    def __init__(self) -> None:
        self.salting_began = False

    def check(self, index: int | None, entry: _Row, report: Report) -> None:
        if entry.version not in chain.VERSIONS:
            report.add(Problem(index, entry.pk, f"unknown entry version {entry.version}"))
        elif entry.version == chain.SALTED_VERSION:
            self.salting_began = True
            if not chain.is_salt(entry.salt):
                report.add(Problem(index, entry.pk, "its salt is not 128 random bits"))
        elif entry.salt:
            report.add(Problem(index, entry.pk, "a salt on an entry of a version without one"))
        elif self.salting_began:
            report.add(Problem(index, entry.pk, "an unsalted entry after salted ones"))


def _check_people(entry: Any, book: SubjectBook, report: Report) -> None:
    where = entry.leaf_index
    if not isinstance(entry.extra or {}, dict) or not isinstance(entry.extra_refs or {}, dict):
        report.add(Problem(where, entry.pk, "its extra is not a JSON object"))
        return

    def check(ref: str, plain: int | None, what: str) -> None:
        if ref in book.bad:
            report.add(Problem(where, entry.pk, f"{what}: {book.bad[ref]}"))
        elif plain is None:
            if ref not in book.erased:
                report.add(Problem(where, entry.pk, f"{what} was removed, but not erased"))
        elif book.ref_of.get(plain) != ref:
            report.add(Problem(where, entry.pk, f"{what} does not match its commitment"))

    if entry.actor_ref:
        check(entry.actor_ref, entry.actor_id, "the actor id")
    elif entry.actor_id is not None:
        report.add(Problem(where, entry.pk, "the actor id has no commitment"))
    if entry.target_ref:
        plain = int(entry.target_id) if is_ascii_digits(entry.target_id) else None
        if entry.target_id and plain is None:
            report.add(Problem(where, entry.pk, "the target id is not a person id"))
        else:
            check(entry.target_ref, plain, "the target id")
    elif entry.target_type == chain.person_target_type() and entry.target_id:
        report.add(Problem(where, entry.pk, "the person target has no commitment"))
    extra = entry.extra or {}
    for key, ref in (entry.extra_refs or {}).items():
        if key not in extra:
            report.add(Problem(where, entry.pk, f"extra {key!r} is missing"))
            continue
        value = extra[key]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            report.add(Problem(where, entry.pk, f"extra {key!r} is not a person id"))
            continue
        check(ref, value, f"extra {key!r}")


@dataclass(frozen=True)
class _Head:
    size: int
    root: bytes
    label: str


def _load_heads(report: Report) -> list[_Head]:
    """Signed tree heads whose signature and fields check, by size."""
    from hisho.audit.tree import origin
    from hisho.signing.keys import trusted_public_key

    heads: list[_Head] = []
    name = origin()
    # Key changes go one way: a key that another replaced signs no larger head (a retired
    # key that leaked would otherwise sign the log's future, and every head would verify).
    signer, replaced = "", set()
    for head in AuditTreeHead.objects.order_by("size"):
        report.heads += 1
        label = f"signed tree head {head.size}"
        public = trusted_public_key(head.key_id)
        if public is None:
            report.add(Problem(None, None, f"{label}: signed by an unknown key"))
            continue
        verifier = note.Verifier(name, public.public_bytes_raw())
        try:
            checkpoint = note.open_checkpoint(head.note, [verifier])
        except note.NoteError as exc:
            report.add(Problem(None, None, f"{label}: signature invalid ({exc})"))
            continue
        if checkpoint.size != head.size or checkpoint.root.hex() != head.root_hash:
            report.add(Problem(None, None, f"{label}: fields do not match its signed note"))
            continue
        if head.key_id in replaced:
            report.add(
                Problem(
                    None,
                    None,
                    f"{label}: signed by key {head.key_id} after another key had replaced it",
                )
            )
        elif head.key_id != signer:
            if signer:
                replaced.add(signer)
            signer = head.key_id
        heads.append(_Head(checkpoint.size, checkpoint.root, label))
    return heads


# Stored nodes are compared block by block: the nodes of levels 0..BLOCK_LEVEL lying inside
# each aligned block of 2**BLOCK_LEVEL leaves in one query (a few ranges of keys), the few
# above that at the end.
BLOCK_LEVEL = 12
BLOCK = 1 << BLOCK_LEVEL


class _NodeCheck:
    """Every stored tree node against the node re-derived from the entries: a node that
    differs, is missing, or lies outside the tree is a problem."""

    def __init__(self, report: Report) -> None:
        from hisho.audit.tree import LEVEL_SHIFT, node_key

        self.report = report
        self.key = node_key
        self.shift = LEVEL_SHIFT
        self.block: dict[int, bytes] = {}
        self.high: dict[int, bytes] = {}
        self.stored_seen = 0
        self.completed: list[tuple[int, int, bytes]] = []

    def take(self) -> None:
        """File the nodes the last leaf completed (CompactRange.append's `completed`)."""
        for level, index, value in self.completed:
            key = self.key(level, index)
            if level <= BLOCK_LEVEL:
                self.block[key] = value
            else:
                self.high[key] = value
        self.completed.clear()

    def _compare(self, derived: dict[int, bytes], stored: dict[int, bytes]) -> None:
        for key in sorted(derived.keys() | stored.keys()):
            level, index = key >> self.shift, key & ((1 << self.shift) - 1)
            first, last = index << level, ((index + 1) << level) - 1
            if key not in stored:
                what = "is missing"
            elif key not in derived:
                what = "lies outside the tree (added)"
            elif stored[key] != derived[key]:
                what = "does not match the entries (rewritten)"
            else:
                continue
            leaves = f"leaf {first}" if level == 0 else f"leaves {first} to {last}"
            self.report.add(
                # Entry problems name the entry; these name its node (covers_range: a
                # lesser hint when both point at the same place).
                Problem(
                    first,
                    None,
                    f"stored tree node {level}/{index} ({leaves}) {what}",
                    covers_range=True,
                    node_level=level,
                )
            )

    def _stored(self, ranges: list[tuple[int, int]]) -> dict[int, bytes]:
        from django.db.models import Q

        where = Q()
        for low, high in ranges:
            where |= Q(key__gte=low, key__lt=high)
        rows = AuditTreeNode.objects.filter(where).values_list("key", "hash")
        found = {int(key): bytes(value) for key, value in rows}
        self.stored_seen += len(found)
        return found

    def flush_block(self, start: int) -> None:
        """Compare the block of leaves [start, start + BLOCK)."""
        ranges = [
            (self.key(level, start >> level), self.key(level, (start + BLOCK) >> level))
            for level in range(BLOCK_LEVEL + 1)
        ]
        self._compare(self.block, self._stored(ranges))
        self.block = {}

    def finish(self, size: int) -> None:
        if self.block or size % BLOCK:
            self.flush_block(size - size % BLOCK)
        self._compare(self.high, self._stored([(self.key(BLOCK_LEVEL + 1, 0), (1 << 63) - 1)]))
        outside = AuditTreeNode.objects.count() - self.stored_seen
        if outside > 0:
            self.report.add(
                Problem(
                    size,
                    None,
                    f"{outside} stored tree node(s) lie outside the tree (added)",
                    covers_range=True,
                    node_level=0,
                )
            )


def verify_log() -> Report:
    report = Report()
    book = load_subjects()
    heads = _load_heads(report)
    roots_wanted = {head.size for head in heads}
    roots: dict[int, bytes] = {}
    legacy = {c.seq: c for c in AuditCheckpoint.objects.order_by("seq")}
    chain_at: dict[int, str] = {}

    compact = merkle.CompactRange()
    nodes = _NodeCheck(report)
    erasures = _Erasures()
    versions = _Versions()
    first_tree_leaf: int | None = None
    expected, prev_chain, in_chain = 0, chain.GENESIS, True
    rows = (
        AuditEvent.objects.filter(leaf_index__isnull=False)
        .order_by("leaf_index")
        .values_list(*_FIELDS)
        .iterator(chunk_size=5000)
    )
    for values in rows:
        entry = _Row(values)
        report.entries += 1
        index = int(entry.leaf_index or 0)
        if index != expected:
            if index > expected:
                missing = f"{expected}" if index == expected + 1 else f"{expected} to {index - 1}"
                report.add(
                    Problem(
                        expected, None, f"missing (deleted): leaf {missing}; next is id {entry.pk}"
                    )
                )
            # Keep deriving as if the indices were right: the heads decide.
            expected = index
        data = chain.readable_leaf_data(entry)
        if data is None:
            # Named, and the tree re-derived with the leaf the sequencer integrated for it
            # (tree._leaf), so that one such row neither stops the check nor hides others.
            report.add(Problem(index, entry.pk, UNREADABLE))
            stored = entry.leaf_hash or ""
            leaf = bytes.fromhex(stored) if _HEX_HASH.fullmatch(stored) else chain.UNREADABLE_LEAF
        else:
            leaf = merkle.leaf_hash(data)
            if leaf.hex() != entry.leaf_hash:
                report.add(Problem(index, entry.pk, "its content does not match its hash"))
        versions.check(index, entry, report)
        if entry.version == chain.CHAIN_VERSION:
            if not in_chain:
                report.add(Problem(index, entry.pk, "a chain entry after the chain ended"))
            elif entry.prev_hash != prev_chain:
                report.add(
                    Problem(index, entry.pk, "does not link to the entry before it (prev_hash)")
                )
            # chain.chain_hash: the plain SHA-256 of the leaf's bytes (none: a broken link).
            prev_chain = hashlib.sha256(data).hexdigest() if data is not None else ""
            if index + 1 in legacy:
                chain_at[index + 1] = prev_chain
        else:
            in_chain = False
        _check_people(entry, book, report)
        erasures.note(entry)
        compact.append(leaf, nodes.completed)
        if entry.version != chain.CHAIN_VERSION and first_tree_leaf is None:
            first_tree_leaf = index
        nodes.take()
        if compact.size % BLOCK == 0:
            nodes.flush_block(compact.size - BLOCK)
        expected += 1
        if compact.size in roots_wanted:
            roots[compact.size] = compact.root()
    report.size = compact.size

    checked = 0
    for head in heads:
        if head.size > compact.size:
            report.add(
                Problem(
                    compact.size,
                    None,
                    f"missing (deleted): {head.label} signed a longer log",
                )
            )
        elif roots.get(head.size) != head.root:
            report.add(
                Problem(
                    checked,
                    None,
                    f"leaves {checked} to {head.size - 1} differ from what {head.label} "
                    "signed (rewritten and rehashed)",
                    covers_range=True,
                )
            )
        else:
            checked = head.size

    _check_legacy(legacy, chain_at, compact.size, report)
    nodes.finish(compact.size)

    for values in (
        AuditEvent.objects.filter(leaf_index__isnull=True).order_by("id").values_list(*_FIELDS)
    ):
        entry = _Row(values)
        report.pending += 1
        data = chain.readable_leaf_data(entry)
        if data is None:
            report.add(Problem(None, entry.pk, UNREADABLE))
        elif merkle.leaf_hash(data).hex() != entry.leaf_hash:
            report.add(Problem(None, entry.pk, "its content does not match its hash"))
        versions.check(None, entry, report)
        _check_people(entry, book, report)
        erasures.note(entry)

    _check_covered(first_tree_leaf, compact.size, report)
    erasures.check(book, report)
    return report


def _check_covered(first_tree_leaf: int | None, size: int, report: Report) -> None:
    """Every leaf the sequencer integrated is covered by a signed head: it gives leaf
    indices and signs the head for them in one transaction. Leaves no head covers mean
    heads were deleted — and without heads, history could be rewritten, rehashed and
    still pass every other check here. Heads are read again now, after the entries, so a
    head the sequencer signed meanwhile counts. (Entries of the old hash chain get their
    indices from the migration and their first head from the sequencer's first run:
    until then they are covered by the chain's own checkpoints, checked above.)"""
    from django.db.models import Max

    if first_tree_leaf is None:
        return
    covered = AuditTreeHead.objects.aggregate(top=Max("size"))["top"] or 0
    if covered < size and size > first_tree_leaf:
        first = max(covered, first_tree_leaf)
        report.add(
            Problem(
                first,
                None,
                f"leaves {first} to {size - 1} are covered by no signed tree head (heads deleted?)",
                covers_range=True,
            )
        )


class _Erasures:
    """Every pseudonym marked erased has its `audit.subject_erased` entry in the log.
    Marking a subject erased by hand — its id and key nulled, the plain ids blanked in
    its entries — would otherwise pass as an erasure while it hides who did what."""

    def __init__(self) -> None:
        self.recorded: set[str] = set()

    def note(self, entry: Any) -> None:
        if entry.event == "audit.subject_erased":
            ref = (entry.extra_refs or {}).get("person_id")
            if isinstance(ref, str):
                self.recorded.add(ref)

    def check(self, book: SubjectBook, report: Report) -> None:
        for ref in sorted(book.erased - self.recorded):
            report.add(
                Problem(
                    None,
                    None,
                    f"pseudonym {ref[:12]}… is marked erased, but the log holds no "
                    "audit.subject_erased entry for it (an erasure made by hand?)",
                )
            )


def _check_legacy(
    legacy: dict[int, AuditCheckpoint], chain_at: dict[int, str], size: int, report: Report
) -> None:
    """The former chain's signed checkpoints: each must sign the chain hash at its count."""
    from hisho.signing.service import BadSignature, verify_document

    previous = 0
    for seq, checkpoint in legacy.items():
        report.checkpoints += 1
        try:
            payload = verify_document(checkpoint.document)
        except BadSignature as exc:
            report.add(Problem(None, None, f"checkpoint {seq}: signature {exc.reason}"))
            continue
        if (
            payload.get("type") != "hisho.audit.checkpoint"
            or payload.get("count") != seq
            or payload.get("head") != checkpoint.head_hash
        ):
            report.add(Problem(None, None, f"checkpoint {seq}: fields do not match"))
            continue
        if seq > size:
            report.add(
                Problem(size, None, f"missing (deleted): checkpoint {seq} signed a longer log")
            )
        elif chain_at.get(seq) != checkpoint.head_hash:
            report.add(
                Problem(
                    previous,
                    None,
                    f"leaves {previous} to {seq - 1} differ from what chain checkpoint {seq} "
                    "signed (rewritten and rehashed)",
                    covers_range=True,
                )
            )
        previous = seq


def root_b64(root: bytes) -> str:
    return base64.b64encode(root).decode()
