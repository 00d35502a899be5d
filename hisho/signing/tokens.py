"""Signed opaque tokens for links in e-mails (confirm a consent, unsubscribe, answer a
survey): a random id, an optional expiry and an Ed25519 signature by Hisho's signing key.

    token = make_token("unsubscribe", delivery.pk)              # never expires
    token = make_token("consent-confirm", pk, expires_at=…)     # expires
    pk = read_token("unsubscribe", token)                       # or BadToken

The id is a random UUID of the row the link acts on — never a person's id or address —
so a token says nothing to whoever reads it, and the signature is bound to `kind`: a
token made for one kind of link does not work for another. Tokens are URL-safe ASCII.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import uuid

from django.utils import timezone

from hisho.signing.service import BadSignature, Signature, b64url, from_b64url, sign, verify

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{28}\.sk-[0-9a-f]{16}\.[A-Za-z0-9_-]{86}$")
_NEVER = 0


class BadToken(Exception):
    """A token that is malformed, not signed by Hisho, for another kind, or expired.
    `reason` is a fixed word: malformed, invalid, expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _message(kind: str, body: bytes) -> bytes:
    return b"hisho-token/1|" + kind.encode() + b"|" + body


def make_token(kind: str, ident: uuid.UUID, *, expires_at: dt.datetime | None = None) -> str:
    expiry = _NEVER if expires_at is None else int(expires_at.timestamp())
    body = ident.bytes + struct.pack(">Q", expiry)[-5:]  # 40-bit seconds
    signature = sign(_message(kind, body))
    return f"{b64url(body)}.{signature.key_id}.{signature.value}"


def read_token(kind: str, token: str, *, now: dt.datetime | None = None) -> uuid.UUID:
    """The id a token of `kind` carries, if Hisho signed it and it has not expired."""
    if not isinstance(token, str) or not _SHAPE.match(token):
        raise BadToken("malformed")
    encoded_body, key_id, encoded_signature = token.split(".")
    try:
        body = from_b64url(encoded_body)
        signature = Signature(key_id, from_b64url(encoded_signature))
    except BadSignature:
        raise BadToken("malformed") from None
    if len(body) != 21 or not verify(_message(kind, body), signature):
        raise BadToken("invalid")
    expiry = int.from_bytes(body[16:], "big")
    if expiry != _NEVER and (now or timezone.now()).timestamp() >= expiry:
        raise BadToken("expired")
    return uuid.UUID(bytes=body[:16])
