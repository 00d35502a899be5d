"""Sealed files: a file sealed as a stream of AES-256-GCM chunks under its scope's data key.

A photo or a PDF is too big to seal as one value (20 MB in and out of memory twice), so a
sealed file is a header and a run of chunks, each sealed on its own::

    "HSF1" | data key id (16) | chunk size (4, big-endian)
    then per chunk:  nonce (12) | ciphertext (≤ chunk size) | tag (16)

Every chunk's associated data is the header, the cell the file belongs to (table, row,
field, customer: hisho.vault.crypto.Cell), the chunk's index and whether it is the last
one — so chunks cannot be reordered, dropped, cut short, or moved to another file or
customer without failing to open. Only `CHUNK_BYTES` of plaintext is held at a time.

Opening goes through the same door as every other value: `open_file(reader, …)` asks
the access policy (hisho.vault.policy) first and writes the owner's access log when the
reader is staff; a file whose key was shredded does not open (CannotDecrypt).
"""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Iterable, Iterator
from typing import IO, Any

from cryptography.exceptions import InvalidTag

from hisho.accounts.principal import Principal
from hisho.vault import crypto
from hisho.vault.errors import CannotDecrypt, KeyUnavailable
from hisho.vault.keys import store
from hisho.vault.models import AccessAction
from hisho.vault.policy import GrantReader, Reader, unseal_role
from hisho.vault.sealing import Place, Scope, acting_user

MAGIC = b"HSF1"
CHUNK_BYTES = 256 * 1024
HEADER_BYTES = len(MAGIC) + 16 + 4
_LAST = b"\x01"
_MORE = b"\x00"


def _cell(scope: Scope, place: Place) -> crypto.Cell:
    return crypto.Cell(place.table, place.row_id, place.field, scope.customer_id)


def _aad(header: bytes, cell: crypto.Cell, index: int, last: bool) -> bytes:
    return header + cell.context() + struct.pack(">Q", index) + (_LAST if last else _MORE)


def _chunks(source: Iterable[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """Re-cut `source` into chunks of `size` bytes, each with "is it the last one"."""
    buffer = b""
    pending: bytes | None = None
    for piece in source:
        buffer += piece
        while len(buffer) >= size:
            if pending is not None:
                yield pending, False
            pending, buffer = buffer[:size], buffer[size:]
    if buffer:
        if pending is not None:
            yield pending, False
        pending = buffer
    yield (pending or b""), True


def seal_file(scope: Scope, place: Place, source: Iterable[bytes]) -> Iterator[bytes]:
    """The sealed stream of `source` (an iterable of plaintext pieces), piece by piece."""
    key_id, aead = store().data_key_for_sealing(scope.customer_id, *scope.key_scope)
    header = MAGIC + key_id.bytes + struct.pack(">I", CHUNK_BYTES)
    cell = _cell(scope, place)
    yield header
    for index, (chunk, last) in enumerate(_chunks(source, CHUNK_BYTES)):
        nonce = os.urandom(crypto.NONCE_BYTES)
        yield nonce + aead.encrypt(nonce, chunk, _aad(header, cell, index, last))


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = stream.read(size - len(data))
        if not piece:
            break
        data += piece
    return data


def _opener(scope: Scope, header: bytes) -> tuple[Any, int]:
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise crypto.Unauthentic("not a sealed file")
    key_id = uuid.UUID(bytes=header[len(MAGIC) : len(MAGIC) + 16])
    (chunk_bytes,) = struct.unpack(">I", header[-4:])
    if not 0 < chunk_bytes <= 16 * 1024 * 1024:
        raise crypto.Unauthentic("not a sealed file")
    aead = store().data_key_for_opening(key_id, scope.customer_id, *scope.key_scope)
    return aead, chunk_bytes


def _plain_chunks(
    aead: Any, header: bytes, cell: crypto.Cell, stream: IO[bytes], chunk_bytes: int
) -> Iterator[bytes]:
    sealed_bytes = crypto.NONCE_BYTES + chunk_bytes + crypto.TAG_BYTES
    index = 0
    current = _read_exact(stream, sealed_bytes)
    while True:
        following = _read_exact(stream, sealed_bytes) if len(current) == sealed_bytes else b""
        last = not following
        if len(current) < crypto.NONCE_BYTES + crypto.TAG_BYTES:
            raise crypto.Unauthentic("a sealed file cut short")
        nonce, body = current[: crypto.NONCE_BYTES], current[crypto.NONCE_BYTES :]
        try:
            yield aead.decrypt(nonce, body, _aad(header, cell, index, last))
        except InvalidTag:
            raise crypto.Unauthentic("authentication failed") from None
        if last:
            return
        current, index = following, index + 1


def _log_read(reader: Principal | GrantReader, role: Reader, scope: Scope) -> None:
    from hisho.vault.actions import do_log_staff_access

    if role is Reader.OWNER:
        return
    if scope.errand_id is None:
        raise ValueError("a staff read of a file needs an errand")
    entry = do_log_staff_access(
        actor=acting_user(reader),
        customer_id=scope.customer_id,
        errand_id=scope.errand_id,
        action=AccessAction.READ_FILES,
    )
    if role is Reader.GRANTEE and entry is not None and isinstance(reader, GrantReader):
        reader.unsealed(entry)


def open_file(
    reader: Principal | GrantReader, scope: Scope, place: Place, stream: IO[bytes]
) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk, for `reader`.

    Raises NotFound unless the policy lets the reader unseal this scope, and
    CannotDecrypt (before anything is yielded) when the file does not open — its key
    shredded, or the header or first chunk changed. A staff read is written to the
    owner's access log ("read_files") once the first chunk has opened; a later chunk
    that fails raises CannotDecrypt mid-stream (the download is cut, never wrong)."""
    role = unseal_role(reader, scope.customer_id, scope.errand_id)
    header = _read_exact(stream, HEADER_BYTES)
    cell = _cell(scope, place)
    try:
        aead, chunk_bytes = _opener(scope, header)
        chunks = _plain_chunks(aead, header, cell, stream, chunk_bytes)
        first = next(chunks)
    except crypto.Unauthentic:
        raise CannotDecrypt("tampered") from None
    except KeyUnavailable as exc:
        raise CannotDecrypt(exc.reason) from None
    _log_read(reader, role, scope)
    return _rest(first, chunks)


def _rest(first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    try:
        yield from chunks
    except crypto.Unauthentic:
        raise CannotDecrypt("tampered") from None
