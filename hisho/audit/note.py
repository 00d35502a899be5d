"""C2SP signed notes and tlog checkpoints, Ed25519 only (no Django: the witness, the
offline proof verifier and the server share it).

A checkpoint (c2sp.org/tlog-checkpoint) is the note text

    <origin>\\n<tree size, decimal>\\n<root hash, base64>\\n

and a signed note (c2sp.org/signed-note) is that text, a blank line, then one line per
signature:

    — <key name> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>\\n

The key hash is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key), and a
verifier key is written `<name>+<key hash, 8 hex>+<base64(0x01 || public key)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALG_ED25519 = 0x01
DASH = "\u2014 "  # em dash and a space start every signature line
SIZE = re.compile(r"0|[1-9][0-9]{0,19}")  # a checkpoint's tree size: ASCII digits only
MAX_SIZE = 2**64 - 1
MAX_SIGNATURES = 100
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or does not verify."""


def valid_name(name: str) -> bool:
    """A signed note's key name: non-empty, printable, no space, no "+" (C2SP signed-note)."""
    return bool(name) and name.isprintable() and not any(c.isspace() or c == "+" for c in name)


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    name: str
    public_key: bytes  # raw 32 bytes

    @property
    def hash(self) -> bytes:
        return key_hash(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.hash.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def parse_vkey(text: str) -> Verifier:
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not valid_name(parts[0]) or len(parts[1]) != 8:
        raise NoteError("malformed verifier key")
    try:
        material = base64.b64decode(parts[2], validate=True)
        expected = bytes.fromhex(parts[1])
    except (binascii.Error, ValueError):
        raise NoteError("malformed verifier key") from None
    if len(material) != 33 or material[0] != ALG_ED25519:
        raise NoteError("not an Ed25519 verifier key")
    verifier = Verifier(parts[0], material[1:])
    if verifier.hash != expected:
        raise NoteError("verifier key hash does not match")
    return verifier


def sign_note(text: str, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> str:
    """`text` (ending in a newline) with one signature line by `sign` (Ed25519)."""
    if not text.endswith("\n") or "\n\n" in text or not valid_name(name):
        raise NoteError("malformed note text or key name")
    return signed_note(text, name, public_key, sign(text.encode()))


def signed_note(text: str, name: str, public_key: bytes, signature: bytes) -> str:
    """`text` with the signature line of an Ed25519 `signature` over it."""
    blob = base64.b64encode(key_hash(name, public_key) + signature).decode()
    return f"{text}\n{DASH}{name} {blob}\n"


def open_note(note: str, verifiers: Iterable[Verifier]) -> tuple[str, list[Verifier]]:
    """The note's text and the known verifiers whose signature on it checks. NoteError when
    malformed, when a known key's signature is bad, or when no known key signed it."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("malformed note")
    try:
        note.encode("utf-8")  # signatures are over UTF-8; a lone surrogate has none
    except UnicodeEncodeError:
        raise NoteError("malformed note") from None
    text, block = note[: split + 1], note[split + 2 :]
    if not text or not block:
        raise NoteError("malformed note")
    # As Go's note.Open (which C2SP's signed-note follows): no ASCII control character but
    # the newline, and at most 100 signatures — a note that one verifier refuses must not
    # pass another, and a site must not make its witnesses parse a megabyte of lines.
    if _CONTROL.search(note):
        raise NoteError("malformed note: a control character")
    if block.count("\n") > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    known = {(v.name, v.hash): v for v in verifiers}
    good: list[Verifier] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(DASH):
            raise NoteError("malformed signature line")
        name, _, blob = line[len(DASH) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("malformed signature") from None
        if not valid_name(name) or len(raw) < 5:
            raise NoteError("malformed signature line")
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            continue  # someone else's signature (a witness's cosignature): not ours to judge
        if len(raw) != 68 or not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"invalid signature by {name}")
        good.append(verifier)
    if not good:
        raise NoteError("no known key signed the note")
    return text, good


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise NoteError("malformed checkpoint")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    # ASCII decimal, no leading zeros, a uint64 (C2SP). Not str.isdigit(): it takes "²",
    # which int() refuses, and "١" (Arabic-Indic one), which int() reads as 1.
    if not SIZE.fullmatch(size_text) or int(size_text) > MAX_SIZE:
        raise NoteError("malformed checkpoint size")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("malformed checkpoint root") from None
    if len(root) != 32:
        raise NoteError("malformed checkpoint root")
    return Checkpoint(origin, int(size_text), root)


def open_checkpoint(note: str, verifiers: Iterable[Verifier]) -> Checkpoint:
    """A signed checkpoint, verified: its origin must be the signing key's name."""
    text, good = open_note(note, verifiers)
    checkpoint = parse_checkpoint(text)
    if not any(v.name == checkpoint.origin for v in good):
        raise NoteError("the checkpoint's origin is not its signer's name")
    return checkpoint
