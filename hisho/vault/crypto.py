"""AES-256-GCM primitives and the byte formats of the vault (no Django here).

Three kinds of blobs, all AES-256-GCM with a fresh 96-bit random nonce:

- a *sealed value* (what a content column holds)::

      0x01 | data key id (16 bytes, a UUID) | nonce (12) | ciphertext | tag (16)

  Its associated data is the 17-byte header followed by ``|table|row|field|customer``,
  so a value only opens in the cell it was written for, under the key it names.
- a *wrapped key* (customer keys under a master key, data keys under a customer key)::

      nonce (12) | ciphertext of the 32-byte key | tag (16)

  bound by associated data that names the key and its owner (see ``hisho.vault.keys``).

Nothing here logs or raises with key material or plaintext in the message.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1 = 0x01
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 1 + 16
# Smallest well-formed sealed value: header, nonce and tag around an empty plaintext.
MIN_SEALED_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES


class Unauthentic(Exception):
    """A blob that is malformed, was changed, was moved, or was made under another key."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def cipher(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError("vault keys are 32 bytes (AES-256)")
    return AESGCM(key)


@dataclass(frozen=True, slots=True)
class Cell:
    """Where a sealed value lives; bound into its associated data."""

    table: str
    row_id: str
    field: str
    customer_id: int

    def context(self) -> bytes:
        return f"|{self.table}|{self.row_id}|{self.field}|{self.customer_id}".encode()


def header(key_id: uuid.UUID) -> bytes:
    return bytes([FORMAT_V1]) + key_id.bytes


def key_id_of(token: bytes) -> bytes:
    """The 16 bytes of the data key id a sealed value names (raises Unauthentic on a
    malformed value); `uuid.UUID(bytes=…)` makes the id."""
    if len(token) < MIN_SEALED_BYTES or token[0] != FORMAT_V1:
        raise Unauthentic("not a vault value of a known format")
    return token[1:HEADER_BYTES]


def seal_value(aead: AESGCM, key_id: uuid.UUID, cell: Cell, plaintext: str) -> bytes:
    head = header(key_id)
    nonce = os.urandom(NONCE_BYTES)
    return head + nonce + aead.encrypt(nonce, plaintext.encode(), head + cell.context())


def open_value(aead: AESGCM, token: bytes, cell: Cell) -> str:
    """Decrypt a sealed value; the caller found `aead` through `key_id_of(token)`."""
    if len(token) < MIN_SEALED_BYTES or token[0] != FORMAT_V1:
        raise Unauthentic("not a vault value of a known format")
    head = token[:HEADER_BYTES]
    nonce = token[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    try:
        data = aead.decrypt(nonce, token[HEADER_BYTES + NONCE_BYTES :], head + cell.context())
    except InvalidTag:
        raise Unauthentic("authentication failed") from None
    return data.decode()


def wrap_key(aead: AESGCM, key: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, key, aad)


def unwrap_key(aead: AESGCM, blob: bytes, aad: bytes) -> bytes:
    if len(blob) != WRAPPED_KEY_BYTES:
        raise Unauthentic("not a wrapped key")
    try:
        key = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise Unauthentic("authentication failed") from None
    if len(key) != KEY_BYTES:
        raise Unauthentic("not a wrapped key")
    return key
