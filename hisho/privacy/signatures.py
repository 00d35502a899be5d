"""The privacy center's use of Hisho's signing service (hisho.signing): exports and
erasure receipts are signed documents `{"payload": …, "signature": {alg, key_id, value}}`
(Ed25519 over the payload's canonical JSON), verifiable by anyone with the keys published
at /.well-known/hisho-signing-keys.json. One small adapter, so the privacy code names the
signing service in one place."""

from __future__ import annotations

from typing import Any

from hisho.signing.service import (
    BadSignature,
    published_keys,
    sign_document,
    verify_with_published_keys,
)

__all__ = ["BadSignature", "public_keys", "sign", "verify"]


def sign(payload: dict[str, Any]) -> dict[str, Any]:
    return sign_document(payload)


def public_keys() -> dict[str, Any]:
    """What /.well-known/hisho-signing-keys.json serves (retired keys included)."""
    return published_keys()


def verify(document: Any, keys: dict[str, Any] | None = None) -> dict[str, Any]:
    """The payload, if `document` was signed by one of `keys` (default: this service's
    published keys); BadSignature otherwise."""
    return verify_with_published_keys(document, keys if keys is not None else published_keys())
