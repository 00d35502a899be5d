"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.

    leaf hash   = SHA-256(0x00 || data)
    node hash   = SHA-256(0x01 || left || right)
    MTH({})     = SHA-256("")
    MTH(D[n])   = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

No Django here: the proof *shape* (which subtree hashes a proof needs) is computed from
the sizes alone, and the hashes come from a `nodes` mapping of perfect, aligned subtrees
`(level, index) → hash` (level 0 = leaves; the node at (level, i) covers leaves
[i·2^level, (i+1)·2^level)). hisho.audit.tree stores exactly those nodes, so a proof
needs one query whatever the tree's size. The verifiers (`verify_inclusion`,
`verify_consistency`) are RFC 9162 §2.1.3.2 and §2.1.4.2, step by step, and are what a
customer or a witness runs: they need nothing but the proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # leaves [start, end)
NodeKey = tuple[int, int]  # (level, index) of a perfect, aligned subtree


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def is_perfect(start: int, end: int) -> bool:
    """[start, end) is one perfect subtree that a stored node covers."""
    size = end - start
    return size > 0 and size & (size - 1) == 0 and start % size == 0


# --- which subtrees a proof needs ------------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes make PATH(index, D[size]), bottom-up (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError("index must lie in [0, size)")
    out: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    out.reverse()
    return out


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The subtrees whose hashes make PROOF(old, D[new]), in order (RFC 9162 §2.1.4.1)."""
    if not 0 < old <= new:
        raise ValueError("need 0 < old <= new")
    if old == new:
        return []
    out: list[Range] = []
    start, end, m, complete = 0, new, old, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                out.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m, complete = start + k, m - k, False
    out.reverse()
    return out


def perfect_parts(start: int, end: int) -> list[NodeKey]:
    """The stored nodes a range's hash is computed from, left to right. A range of a proof
    or of a root is [aligned start, end): it splits into perfect subtrees."""
    keys: list[NodeKey] = []
    while start < end:
        if is_perfect(start, end):
            size = end - start
            keys.append((size.bit_length() - 1, start // size))
            break
        k = split_point(end - start)
        if start % k:
            raise ValueError("range does not start on a subtree boundary")
        keys.append((k.bit_length() - 1, start // k))
        start += k
    return keys


def nodes_needed(ranges: Iterable[Range]) -> set[NodeKey]:
    needed: set[NodeKey] = set()
    for start, end in ranges:
        needed.update(perfect_parts(start, end))
    return needed


def range_hash(start: int, end: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """MTH(D[start:end]) from the perfect subtrees it splits into (right to left fold)."""
    if start == end:
        return EMPTY_ROOT
    parts = [nodes[key] for key in perfect_parts(start, end)]
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = node_hash(part, acc)
    return acc


def root_ranges(size: int) -> list[Range]:
    return [(0, size)] if size else []


# --- building: the nodes a batch of new leaves completes ---------------------------------------


def new_nodes(
    old_size: int, leaves: Sequence[bytes], nodes: Mapping[NodeKey, bytes]
) -> dict[NodeKey, bytes]:
    """Every perfect subtree node completed by appending `leaves` to a tree of `old_size`
    leaves (level 0 included). `nodes` must hold the right edge of the old tree
    (`right_edge(old_size)`)."""
    made: dict[NodeKey, bytes] = {}

    def get(key: NodeKey) -> bytes:
        return made[key] if key in made else nodes[key]

    for offset, value in enumerate(leaves):
        index = old_size + offset
        made[(0, index)] = value
        level, i = 0, index
        while i & 1:  # a right child completes its parent
            parent = node_hash(get((level, i - 1)), get((level, i)))
            level, i = level + 1, i >> 1
            made[(level, i)] = parent
    return made


def right_edge(size: int) -> set[NodeKey]:
    """The perfect subtrees that cover [0, size): the only old nodes appends need."""
    return set(perfect_parts(0, size)) if size else set()


class CompactRange:
    """A streaming root: append leaf hashes, ask the root at any time (the verifier's
    tool for re-deriving the tree from a million entries in one pass)."""

    __slots__ = ("size", "stack")

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[bytes] = []

    def append(self, value: bytes, completed: list[tuple[int, int, bytes]] | None = None) -> None:
        """Append a leaf hash; with `completed`, also list every perfect subtree node the
        leaf completes as (level, index, hash), the leaf itself first (level 0)."""
        position = self.size
        self.stack.append(value)
        self.size += 1
        if completed is not None:
            completed.append((0, position, value))
        n, level = self.size, 0
        while not n & 1:
            right = self.stack.pop()
            self.stack[-1] = node_hash(self.stack[-1], right)
            n >>= 1
            level += 1
            if completed is not None:
                completed.append((level, position >> level, self.stack[-1]))

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        acc = self.stack[-1]
        for part in reversed(self.stack[:-1]):
            acc = node_hash(part, acc)
        return acc


# --- verifying (what a client runs) -----------------------------------------------------------


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2 (a tree of size 0 is consistent with anything, by an empty proof)."""
    if old < 0 or old > new or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
