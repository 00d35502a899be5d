"""The byte formats alone: what makes a sealed value open, and everything that stops it."""

from __future__ import annotations

import uuid

import pytest

from hisho.vault import crypto
from hisho.vault.cache import KeyCache

KEY_ID = uuid.uuid4()
CELL = crypto.Cell("desk_errand", str(uuid.uuid4()), "phone", 7)


@pytest.fixture
def aead() -> crypto.AESGCM:
    return crypto.cipher(crypto.new_key())


def test_round_trip_and_format(aead: crypto.AESGCM) -> None:
    token = crypto.seal_value(aead, KEY_ID, CELL, "090-1234-5678")
    assert token[0] == crypto.FORMAT_V1
    assert crypto.key_id_of(token) == KEY_ID.bytes
    assert len(token) == crypto.MIN_SEALED_BYTES + len(b"090-1234-5678")
    assert b"090" not in token
    assert crypto.open_value(aead, token, CELL) == "090-1234-5678"
    # A fresh nonce each time: equal plaintexts do not give equal ciphertexts.
    assert crypto.seal_value(aead, KEY_ID, CELL, "090-1234-5678") != token


@pytest.mark.parametrize("position", [0, 1, 16, 17, 29, -1])
def test_any_flipped_byte_is_detected(aead: crypto.AESGCM, position: int) -> None:
    token = bytearray(crypto.seal_value(aead, KEY_ID, CELL, "a secret"))
    token[position] ^= 0x01
    with pytest.raises(crypto.Unauthentic):
        crypto.open_value(aead, bytes(token), CELL)


@pytest.mark.parametrize(
    "other",
    [
        crypto.Cell("desk_message", CELL.row_id, "phone", 7),  # another table
        crypto.Cell("desk_errand", str(uuid.uuid4()), "phone", 7),  # another row
        crypto.Cell("desk_errand", CELL.row_id, "note", 7),  # another field
        crypto.Cell("desk_errand", CELL.row_id, "phone", 8),  # another customer
    ],
)
def test_a_value_opens_only_in_its_own_cell(aead: crypto.AESGCM, other: crypto.Cell) -> None:
    token = crypto.seal_value(aead, KEY_ID, CELL, "a secret")
    with pytest.raises(crypto.Unauthentic):
        crypto.open_value(aead, token, other)


def test_wrong_key_truncation_and_garbage(aead: crypto.AESGCM) -> None:
    token = crypto.seal_value(aead, KEY_ID, CELL, "a secret")
    with pytest.raises(crypto.Unauthentic):
        crypto.open_value(crypto.cipher(crypto.new_key()), token, CELL)
    for bad in (b"", token[:-1], token[: crypto.MIN_SEALED_BYTES - 1], b"\x02" + token[1:]):
        with pytest.raises(crypto.Unauthentic):
            crypto.open_value(aead, bad, CELL)


def test_wrapped_keys_are_bound_to_their_associated_data(aead: crypto.AESGCM) -> None:
    key = crypto.new_key()
    blob = crypto.wrap_key(aead, key, b"customer=1|version=1")
    assert crypto.unwrap_key(aead, blob, b"customer=1|version=1") == key
    with pytest.raises(crypto.Unauthentic):
        crypto.unwrap_key(aead, blob, b"customer=2|version=1")
    with pytest.raises(crypto.Unauthentic):
        crypto.unwrap_key(aead, blob[:-1], b"customer=1|version=1")


def test_key_cache_is_bounded_in_size_and_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("hisho.vault.cache.time.monotonic", lambda: now[0])
    cache = KeyCache(max_size=2, ttl_seconds=60)
    cache.put("a", 1, owner=1)
    cache.put("b", 2, owner=2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3, owner=1)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    cache.forget_owner(1)
    assert len(cache) == 0
    cache.put("d", 4, owner=3)
    now[0] += 59.9
    assert cache.get("d") == 4
    now[0] += 0.2
    assert cache.get("d") is None
    disabled = KeyCache(max_size=0, ttl_seconds=60)
    disabled.put("e", 5, owner=1)
    assert disabled.get("e") is None
