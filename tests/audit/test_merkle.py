"""hisho.audit.merkle against RFC 6962's definitions: the Certificate Transparency test
vectors (the same eight leaves and results used by the RFC 6962 reference code, Go's
transparency-dev/merkle and others), a plain recursive reference written from RFC 9162
§2.1 here, and property tests: every proof verifies, every tampered one fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hisho.audit import merkle

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PATHS = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (0, 1): [],
}
CONSISTENCY = {
    (1, 8): PATHS[(0, 8)],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (1, 1): [],
}


# --- a reference written straight from RFC 9162 §2.1 (recursive, over all leaves) ---------------


def ref_mth(data: list[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:])).digest()


def ref_path(m: int, data: list[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, data[:k]), ref_mth(data[k:])]
    return [*ref_path(m - k, data[k:]), ref_mth(data[:k])]


def ref_subproof(m: int, data: list[bytes], complete: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if complete else [ref_mth(data)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, data[:k], complete), ref_mth(data[k:])]
    return [*ref_subproof(m - k, data[k:], False), ref_mth(data[:k])]


def ref_consistency(m: int, data: list[bytes]) -> list[bytes]:
    return [] if m == len(data) else ref_subproof(m, data, True)


# --- the module under test, fed from the stored-node shape ---------------------------------------


def build(data: list[bytes]) -> dict[merkle.NodeKey, bytes]:
    nodes: dict[merkle.NodeKey, bytes] = {}
    size = 0
    # In uneven batches, as the sequencer appends.
    batches = [data[i : i + 3] for i in range(0, len(data), 3)]
    for batch in batches:
        nodes.update(merkle.new_nodes(size, [merkle.leaf_hash(d) for d in batch], nodes))
        size += len(batch)
    return nodes


def proof_of(ranges: list[merkle.Range], nodes: dict[merkle.NodeKey, bytes]) -> list[bytes]:
    return [merkle.range_hash(a, b, nodes) for a, b in ranges]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_roots_match_the_ct_vectors() -> None:
    assert merkle.EMPTY_ROOT.hex() == hashlib.sha256(b"").hexdigest()
    nodes = build(LEAVES)
    for size in range(1, 9):
        assert merkle.range_hash(0, size, nodes).hex() == ROOTS[size - 1]
        compact = merkle.CompactRange()
        for leaf in LEAVES[:size]:
            compact.append(merkle.leaf_hash(leaf))
        assert compact.root().hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size"), sorted(PATHS))
def test_inclusion_proofs_match_the_ct_vectors(index: int, size: int) -> None:
    nodes = build(LEAVES[:size])
    proof = proof_of(merkle.inclusion_ranges(index, size), nodes)
    assert [p.hex() for p in proof] == PATHS[(index, size)]
    leaf = merkle.leaf_hash(LEAVES[index])
    assert merkle.verify_inclusion(index, size, leaf, proof, h(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY))
def test_consistency_proofs_match_the_ct_vectors(old: int, new: int) -> None:
    nodes = build(LEAVES[:new])
    proof = proof_of(merkle.consistency_ranges(old, new), nodes)
    assert [p.hex() for p in proof] == CONSISTENCY[(old, new)]
    assert merkle.verify_consistency(old, new, h(ROOTS[old - 1]), h(ROOTS[new - 1]), proof)
    if proof:
        assert not merkle.verify_consistency(old, new, h(ROOTS[old - 1]), h(ROOTS[new - 2]), proof)


def tamper(proof: list[bytes], where: int, bit: int) -> list[bytes]:
    bad = [bytearray(p) for p in proof]
    bad[where % len(bad)][bit % 32] ^= 1 << (bit % 8)
    return [bytes(b) for b in bad]


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True),
    pick=st.integers(min_value=0),
    flip=st.integers(min_value=0, max_value=10_000),
)
def test_every_inclusion_proof_verifies_and_tampered_ones_fail(
    data: list[bytes], pick: int, flip: int
) -> None:
    size = len(data)
    index = pick % size
    nodes = build(data)
    root = merkle.range_hash(0, size, nodes)
    assert root == ref_mth(data)
    proof = proof_of(merkle.inclusion_ranges(index, size), nodes)
    assert proof == ref_path(index, data)
    leaf = merkle.leaf_hash(data[index])
    assert merkle.verify_inclusion(index, size, leaf, proof, root)
    # Tampered: a flipped bit, the wrong leaf, index, size or root, a dropped/extra hash.
    if proof:
        assert not merkle.verify_inclusion(index, size, leaf, tamper(proof, flip, flip), root)
        assert not merkle.verify_inclusion(index, size, leaf, proof[:-1], root)
    assert not merkle.verify_inclusion(index, size, leaf, [*proof, root], root)
    assert not merkle.verify_inclusion(
        index, size, merkle.leaf_hash(b"x" + data[index]), proof, root
    )
    assert not merkle.verify_inclusion(index, size, leaf, proof, merkle.node_hash(root, root))
    if size > 1:  # leaves are distinct: the proof holds at its own index only
        other = (index + 1 + flip % (size - 1)) % size
        assert not merkle.verify_inclusion(other, size, leaf, proof, root)
    assert not merkle.verify_inclusion(index, size + 1, leaf, proof, root) or proof != []


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(st.binary(max_size=8), min_size=1, max_size=70),
    pick=st.integers(min_value=0),
    flip=st.integers(min_value=0, max_value=10_000),
)
def test_every_consistency_proof_verifies_and_tampered_ones_fail(
    data: list[bytes], pick: int, flip: int
) -> None:
    new = len(data)
    old = 1 + pick % new
    nodes = build(data)
    old_root, new_root = ref_mth(data[:old]), ref_mth(data)
    proof = proof_of(merkle.consistency_ranges(old, new), nodes)
    assert proof == ref_consistency(old, data)
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)
    if proof:
        assert not merkle.verify_consistency(
            old, new, old_root, new_root, tamper(proof, flip, flip)
        )
        assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
    forked = [*data[: old - 1], data[old - 1] + b"!"]  # a different history of `old` leaves
    if old < new:
        assert not merkle.verify_consistency(old, new, ref_mth(forked), new_root, proof)
        assert not merkle.verify_consistency(old, new, old_root, ref_mth([*data, b""]), proof)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(3, 3)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(0, 3)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(4, 3)
    assert not merkle.verify_inclusion(0, 0, b"\0" * 32, [], merkle.EMPTY_ROOT)
    assert not merkle.verify_inclusion(0, 2, b"\0" * 32, [b"short"], merkle.EMPTY_ROOT)
