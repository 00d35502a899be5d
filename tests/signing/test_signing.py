"""The signing service: Ed25519 signatures, canonical JSON, keys stored wrapped, rotation
keeping old keys published, and outsiders verifying with the published keys alone."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.errors import Forbidden
from hisho.signing import keys
from hisho.signing.actions import do_ensure_signing_key, do_rotate_signing_key
from hisho.signing.canonical import NotCanonical, canonical_json
from hisho.signing.models import SigningKey
from hisho.signing.service import (
    BadSignature,
    Signature,
    b64url,
    published_keys,
    sign,
    sign_document,
    verify,
    verify_document,
    verify_with_published_keys,
)
from hisho.signing.wrapping import unwrap_secret


def test_canonical_json_is_rfc8785_for_hisho_values() -> None:
    value = {"b": 1, "a": [True, None, "é\n"], "\ue000": 0, "\U0001f600": -2}
    # Keys in UTF-16 order: the emoji (surrogates D83D…) sorts before U+E000.
    assert canonical_json(value) == (
        '{"a":[true,null,"é\\n"],"b":1,"\U0001f600":-2,"\ue000":0}'.encode()
    )
    assert canonical_json({"x": 2**53 - 1}) == b'{"x":9007199254740991}'
    for bad in ({"x": 1.5}, {"x": 2**53}, {1: "x"}, {"x": b"bytes"}, {"x": "\ud800"}):
        with pytest.raises(NotCanonical):
            canonical_json(bad)


def test_sign_and_verify_bytes(db: None) -> None:
    signature = sign(b"hello")
    assert signature.key_id.startswith("sk-") and len(signature.signature) == 64
    assert verify(b"hello", signature)
    assert not verify(b"hellO", signature)
    assert not verify(b"hello", Signature("sk-unknown", signature.signature))
    flipped = bytes([signature.signature[0] ^ 1]) + signature.signature[1:]
    assert not verify(b"hello", Signature(signature.key_id, flipped))


def test_signed_documents(db: None) -> None:
    document = sign_document({"type": "test", "n": 3, "who": "作業"})
    assert document["signature"]["alg"] == "Ed25519"
    assert verify_document(document) == {"type": "test", "n": 3, "who": "作業"}

    changed = {**document, "payload": {**document["payload"], "n": 4}}
    with pytest.raises(BadSignature) as excinfo:
        verify_document(changed)
    assert excinfo.value.reason == "invalid"

    unknown = {**document, "signature": {**document["signature"], "key_id": "sk-nobody"}}
    with pytest.raises(BadSignature) as excinfo:
        verify_document(unknown)
    assert excinfo.value.reason == "unknown_key"

    for malformed in (
        None,
        {"payload": {}},
        {**document, "extra": 1},
        {**document, "signature": {**document["signature"], "alg": "none"}},
        {**document, "signature": {**document["signature"], "value": "%%%"}},
    ):
        with pytest.raises(BadSignature):
            verify_document(malformed)


def test_private_keys_are_stored_only_wrapped(db: None) -> None:
    row = do_ensure_signing_key()
    raw = unwrap_secret(
        row.master_key_id, row.wrapped_private_key, keys.private_key_aad(row.key_id)
    )
    assert Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw() == bytes(
        row.public_key
    )
    stored = [bytes(row.wrapped_private_key), bytes(row.public_key), row.key_id.encode()]
    assert not any(raw in blob for blob in stored)
    # The wrapped blob is bound to its key id: moved to another row, it does not open.
    from hisho.signing.wrapping import SecretUnavailable

    with pytest.raises(SecretUnavailable):
        unwrap_secret(row.master_key_id, row.wrapped_private_key, keys.private_key_aad("sk-other"))


def test_one_active_key_at_a_time(db: None) -> None:
    row = do_ensure_signing_key()
    assert do_ensure_signing_key().key_id == row.key_id
    new = keys.generate()
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.create(
            key_id=new.key_id,
            public_key=new.public_key,
            master_key_id=new.master_key_id,
            wrapped_private_key=new.wrapped_private_key,
            active=True,
            created_at=timezone.now(),
        )


def test_rotation_keeps_old_signatures_verifiable_and_old_keys_published(
    demo: Demo, client: Client
) -> None:
    before = sign_document({"type": "test", "when": "before"})
    old_id = before["signature"]["key_id"]
    new_row = do_rotate_signing_key(actor=demo.people["admin"])
    after = sign_document({"type": "test", "when": "after"})

    assert after["signature"]["key_id"] == new_row.key_id != old_id
    assert verify_document(before)["when"] == "before"
    assert verify_document(after)["when"] == "after"
    published = {k["kid"]: k for k in published_keys()["keys"]}
    assert published[old_id]["status"] == "retired" and published[old_id]["retired_at"]
    assert published[new_row.key_id]["status"] == "active"
    event = AuditEvent.objects.filter(event="signing.key_rotated").last()
    assert event is not None and event.actor_id == demo.people["admin"].pk
    assert event.extra == {"key_id": new_row.key_id, "previous_key_id": old_id}

    with pytest.raises(Forbidden):
        do_rotate_signing_key(actor=demo.people["kenji"])


def test_rotate_command(db: None, capsys: Any) -> None:
    first = do_ensure_signing_key()
    call_command("rotate-signing-key")
    assert "New active signing key" in capsys.readouterr().out
    assert SigningKey.objects.get(active=True).key_id != first.key_id


def test_published_keys_let_outsiders_verify(db: None, client: Client) -> None:
    document = sign_document({"type": "test", "n": 1})
    response = client.get("/.well-known/hisho-signing-keys.json")  # no sign-in needed
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    published = response.json()
    assert verify_with_published_keys(document, published) == {"type": "test", "n": 1}
    # By hand, with nothing but the JWK and the cryptography library:
    jwk = next(k for k in published["keys"] if k["kid"] == document["signature"]["key_id"])
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="))
    value = document["signature"]["value"]
    public.verify(
        base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)),
        canonical_json(document["payload"]),
    )
    with pytest.raises(BadSignature):
        verify_with_published_keys({**document, "payload": {"type": "test", "n": 2}}, published)
    assert client.post("/.well-known/hisho-signing-keys.json").status_code == 405


def test_a_key_row_forged_in_the_database_is_not_trusted(db: None) -> None:
    """Someone who can write the database but has no master key cannot add a signing key."""
    do_ensure_signing_key()
    forged_private = Ed25519PrivateKey.generate()
    SigningKey.objects.create(
        key_id="sk-forged",
        public_key=forged_private.public_key().public_bytes_raw(),
        master_key_id=SigningKey.objects.get(active=True).master_key_id,
        wrapped_private_key=b"\0" * 60,
        active=False,
        created_at=timezone.now(),
    )
    payload = {"type": "hisho.audit.checkpoint", "count": 1}
    forged = {
        "payload": payload,
        "signature": {
            "alg": "Ed25519",
            "key_id": "sk-forged",
            "value": b64url(forged_private.sign(canonical_json(payload))),
        },
    }
    with pytest.raises(BadSignature) as excinfo:
        verify_document(forged)
    assert excinfo.value.reason == "unknown_key"
