"""The backup file: a signed manifest, then the database dump, compressed, encrypted in
chunks, and an Ed25519 signature over everything before it.

    "HISHO-BACKUP/1\\n" | header length (4 bytes, big-endian) | header (canonical JSON)
    | chunks: length (4 bytes) | AES-256-GCM ciphertext of ≤ 1 MiB of zlib stream
    | signature (64 bytes): Ed25519 over "hisho-backup/1\\n" || SHA-256(all bytes before it)

The header holds the manifest (time, database vendor, applied migrations, the audit
tree's size and root, the erasure ledger position) in the clear — ids, names of
migrations and hashes only — so a restore can refuse a backup before decrypting it.

Keys (never the master key itself):
- content: a fresh random 256-bit key per backup, wrapped by the vault's master keyring
  (`MasterKeys.wrap`, so a KMS can hold the master key), bound to the header's format.
  Chunk nonces are a 7-byte random prefix, a 4-byte counter and a last-chunk flag; each
  chunk's associated data is the SHA-256 of the header (the STREAM construction: chunks
  cannot be dropped, reordered, moved between backups or cut off at the end).
- signature: the signing service's active key (hisho.signing). The header carries that
  key's id, public half and its private half *wrapped under the master keyring*, so the
  restorer — with an empty database, but the keyring — trusts the key exactly as
  `verify_document` does: its private half opens under the keyring and matches. Outsiders
  verify with the key published at /.well-known/hisho-signing-keys.json.

`verify()` reads the whole file and checks the signature before anything is decrypted;
`decrypt_to()` then writes the plaintext dump, checking every chunk and the dump's
SHA-256 recorded in the manifest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hisho.signing.canonical import canonical_json
from hisho.signing.keys import private_key_aad
from hisho.signing.wrapping import SecretUnavailable, unwrap_secret
from hisho.vault import crypto
from hisho.vault.keyring import master_keys

MAGIC = b"HISHO-BACKUP/1\n"
FORMAT = "hisho-backup/1"
SIGNATURE_CONTEXT = b"hisho-backup/1\n"
CONTENT_KEY_AAD = b"hisho-backup/1|content-key"
CHUNK = 1 << 20
SIGNATURE_BYTES = 64
MAX_HEADER = 1 << 20
_READ = 1 << 20


class BadBackup(Exception):
    """The file is not a backup this keyring made, or was changed. Fixed wording only."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise BadBackup("the header is malformed")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadBackup("the header is malformed") from None


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def _compressed(source: IO[bytes]) -> Iterator[bytes]:
    """The zlib stream of `source`, in pieces of exactly CHUNK bytes (the last shorter)."""
    compressor = zlib.compressobj(level=6)
    pending = bytearray()
    while block := source.read(_READ):
        pending += compressor.compress(block)
        while len(pending) >= CHUNK:
            yield bytes(pending[:CHUNK])
            del pending[:CHUNK]
    pending += compressor.flush()
    while len(pending) > CHUNK:
        yield bytes(pending[:CHUNK])
        del pending[:CHUNK]
    yield bytes(pending)


def _signer() -> tuple[dict[str, Any], Any]:
    from hisho.signing.actions import do_ensure_signing_key
    from hisho.signing.keys import open_private

    row = do_ensure_signing_key()
    described = {
        "alg": "Ed25519",
        "key_id": row.key_id,
        "public_key": _b64(bytes(row.public_key)),
        "master_key_id": row.master_key_id,
        "wrapped_private_key": _b64(bytes(row.wrapped_private_key)),
    }
    return described, open_private(row)


def write(out: Path, payload: Path, manifest: dict[str, Any]) -> int:
    """Encrypt and sign `payload` (a database dump) with `manifest` into `out` (created,
    mode 0600; refuses to overwrite). Returns the backup's size in bytes."""
    content_key = crypto.new_key()
    master_key_id, wrapped = master_keys().wrap(content_key, CONTENT_KEY_AAD)
    prefix = os.urandom(7)
    signer, private = _signer()
    header = canonical_json(
        {
            "format": FORMAT,
            "manifest": manifest,
            "encryption": {
                "alg": "A256GCM-STREAM",
                "compression": "zlib",
                "chunk_bytes": CHUNK,
                "master_key_id": master_key_id,
                "wrapped_key": _b64(wrapped),
                "nonce_prefix": _b64(prefix),
            },
            "signer": signer,
        }
    )
    aead = AESGCM(content_key)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _write_body(fd, payload, header, aead, prefix, private)
    except BaseException:
        # A cut-off file (a full disk) must not lie among the backups: it would not
        # restore, and as the newest one it would be kept while good older ones expire.
        out.unlink(missing_ok=True)
        raise
    return out.stat().st_size


def _write_body(
    fd: int, payload: Path, header: bytes, aead: AESGCM, prefix: bytes, private: Any
) -> None:
    aad = hashlib.sha256(header).digest()
    digest = hashlib.sha256()
    with os.fdopen(fd, "wb") as sink, payload.open("rb") as source:

        def put(data: bytes) -> None:
            digest.update(data)
            sink.write(data)

        put(MAGIC + struct.pack(">I", len(header)) + header)
        pieces = _compressed(source)
        current = next(pieces)
        counter = 0
        for following in pieces:
            sealed = aead.encrypt(_nonce(prefix, counter, False), current, aad)
            put(struct.pack(">I", len(sealed)) + sealed)
            current, counter = following, counter + 1
        sealed = aead.encrypt(_nonce(prefix, counter, True), current, aad)
        put(struct.pack(">I", len(sealed)) + sealed)
        sink.write(private.sign(SIGNATURE_CONTEXT + digest.digest()))
        sink.flush()
        os.fsync(sink.fileno())


@dataclass(frozen=True)
class Verified:
    """A backup whose signature verified: its manifest, and how to open its content."""

    path: Path
    header: dict[str, Any]
    header_digest: bytes  # SHA-256 of the header as written: each chunk's associated data
    header_end: int

    @property
    def manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = self.header["manifest"]
        return manifest


def _read_header(handle: IO[bytes]) -> tuple[bytes, dict[str, Any]]:
    if handle.read(len(MAGIC)) != MAGIC:
        raise BadBackup("it is not a Hisho backup")
    raw_length = handle.read(4)
    if len(raw_length) != 4:
        raise BadBackup("it is cut short")
    (length,) = struct.unpack(">I", raw_length)
    if length > MAX_HEADER:
        raise BadBackup("the header is malformed")
    raw = handle.read(length)
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadBackup("the header is malformed") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BadBackup("it is not a Hisho backup of a format this version reads")
    for part in ("manifest", "encryption", "signer"):
        if not isinstance(header.get(part), dict):
            raise BadBackup("the header is malformed")
    return raw, header


def _trusted_signer(signer: dict[str, Any]) -> Any:
    """The signer's public key, if its private half opens under this keyring and matches."""
    key_id = signer.get("key_id")
    if not isinstance(key_id, str) or not isinstance(signer.get("master_key_id"), str):
        raise BadBackup("the header is malformed")
    try:
        wrapped = _unb64(signer.get("wrapped_private_key"))
        raw = unwrap_secret(signer["master_key_id"], wrapped, private_key_aad(key_id))
        private = Ed25519PrivateKey.from_private_bytes(raw)
    except (SecretUnavailable, ValueError):
        raise BadBackup(
            "its signing key does not open under this master keyring (another keyring, a "
            "retired master key, or a changed header)"
        ) from None
    public = private.public_key()
    if public.public_bytes_raw() != _unb64(signer.get("public_key")):
        raise BadBackup("its signature is not valid")
    return public


def verify(path: Path) -> Verified:
    """Check the whole file's signature (and that this keyring made it); nothing is
    decrypted. BadBackup if anything is wrong."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        raw, header = _read_header(handle)
        header_end = handle.tell()
        body_end = size - SIGNATURE_BYTES
        if body_end < header_end:
            raise BadBackup("it is cut short")
        public = _trusted_signer(header["signer"])
        digest = hashlib.sha256()
        handle.seek(0)
        left = body_end
        while left:
            block = handle.read(min(_READ, left))
            if not block:
                raise BadBackup("it is cut short")
            digest.update(block)
            left -= len(block)
        signature = handle.read(SIGNATURE_BYTES)
    try:
        public.verify(signature, SIGNATURE_CONTEXT + digest.digest())
    except InvalidSignature:
        raise BadBackup("its signature is not valid: the file was changed") from None
    return Verified(path, header, hashlib.sha256(raw).digest(), header_end)


def decrypt_to(backup: Verified, out: Path) -> None:
    """Write the dump of a verified backup to `out` (mode 0600), checking every chunk and
    the dump's SHA-256 against the manifest."""
    encryption = backup.header["encryption"]
    try:
        key = master_keys().unwrap(
            str(encryption["master_key_id"]), _unb64(encryption["wrapped_key"]), CONTENT_KEY_AAD
        )
    except (KeyError, crypto.Unauthentic):
        raise BadBackup("its content key does not open under this master keyring") from None
    aead = AESGCM(key)
    prefix = _unb64(encryption["nonce_prefix"])
    aad = backup.header_digest
    body_end = backup.path.stat().st_size - SIGNATURE_BYTES
    decompressor = zlib.decompressobj()
    plain_digest = hashlib.sha256()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as sink, backup.path.open("rb") as handle:
        handle.seek(backup.header_end)
        counter = 0
        while True:
            (length,) = struct.unpack(">I", handle.read(4))
            sealed = handle.read(length)
            last = handle.tell() == body_end
            try:
                piece = aead.decrypt(_nonce(prefix, counter, last), sealed, aad)
            except InvalidTag:
                raise BadBackup("a chunk does not decrypt: the file was changed") from None
            data = decompressor.decompress(piece)
            plain_digest.update(data)
            sink.write(data)
            counter += 1
            if last:
                break
        tail = decompressor.flush()
        plain_digest.update(tail)
        sink.write(tail)
        sink.flush()
        os.fsync(sink.fileno())
    if not decompressor.eof or plain_digest.hexdigest() != backup.manifest.get("payload", {}).get(
        "sha256"
    ):
        raise BadBackup("its content does not match its manifest")
