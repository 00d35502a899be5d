"""Signing-key changes go one way. After `hisho rotate-signing-key` the old key only
verifies the heads it signed: a head it signs later — the retired key leaked, or was put
back to work — is named by `hisho audit-verify` and rejected by every witness that saw
the change. Both judge by the order of heads, not by dates an operator could rewrite."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from hisho.audit import note
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditTreeHead
from hisho.audit.tree import origin
from hisho.audit.verify import verify_log
from hisho.audit.witness import Rejected, Witness
from hisho.demo import Demo
from hisho.signing.models import SigningKey
from tests.audit.test_transparency_api import django_fetch

ORIGIN = "witness.test/audit"


def rotate() -> tuple[SigningKey, SigningKey]:
    old = SigningKey.objects.get(active=True)
    call_command("rotate-signing-key", stdout=io.StringIO())
    return old, SigningKey.objects.get(active=True)


def put_back_to_work(old: SigningKey, new: SigningKey) -> None:
    """What someone holding the retired key can do: sign with it again."""
    SigningKey.objects.filter(pk=new.pk).update(active=False, retired_at=timezone.now())
    SigningKey.objects.filter(pk=old.pk).update(active=True, retired_at=None)


def sign(event: str) -> AuditTreeHead:
    record_event(event, actor=None)
    head = do_write_checkpoint()
    assert head is not None
    return head


def assert_witness_refuses_the_old_key_again(state: Path, old: SigningKey, new: SigningKey) -> None:
    """The replaced key signs a consistent, larger tree: only the key is wrong."""
    put_back_to_work(old, new)
    sign("test.retired_key_again")
    with pytest.raises(Rejected) as rejected:
        Witness(state, django_fetch).observe()
    assert "saw replaced" in str(rejected.value)


def vkey(key: SigningKey) -> str:
    return note.Verifier(origin(), bytes(key.public_key)).vkey


def test_a_rotation_verifies_and_a_retired_key_signing_again_is_named(demo: Demo) -> None:
    do_write_checkpoint()
    old, new = rotate()
    assert sign("test.after_rotation").key_id == new.key_id
    report = verify_log()
    assert report.ok, report.problems  # heads of both keys, in order: a clean rotation

    put_back_to_work(old, new)
    forged = sign("test.retired_key_again")
    assert forged.key_id == old.key_id
    reasons = [p.reason for p in verify_log().problems]
    assert reasons == [
        f"signed tree head {forged.size}: signed by key {old.key_id} after another key "
        "had replaced it"
    ]


def test_a_witness_refuses_a_head_signed_by_a_key_it_saw_replaced(
    demo: Demo, tmp_path: Path
) -> None:
    do_write_checkpoint()
    state = tmp_path / "w.json"
    Witness(state, django_fetch).observe()
    old, new = rotate()
    sign("test.after_rotation")
    Witness(state, django_fetch, keys=[vkey(new)]).observe()
    saved = json.loads(state.read_text())
    assert saved["signers"] == [vkey(new)] and saved["retired"] == [vkey(old)]
    before = state.read_bytes()

    put_back_to_work(old, new)
    sign("test.retired_key_again")  # a consistent, larger tree: only the key is wrong
    with pytest.raises(Rejected) as rejected:
        Witness(state, django_fetch).observe()
    assert "saw replaced" in str(rejected.value)
    assert state.read_bytes() == before
    # Passing the old key again does not bring it back either.
    with pytest.raises(Rejected):
        Witness(state, django_fetch, keys=[vkey(old)]).observe()


def test_a_witness_first_used_after_a_rotation_pins_only_the_active_key(
    demo: Demo, tmp_path: Path
) -> None:
    """The site publishes its retired keys too (what they signed must still verify): a
    witness pinning on first use takes them as retired, not as keys to accept."""
    do_write_checkpoint()
    old, new = rotate()
    sign("test.after_rotation")
    state = tmp_path / "w.json"
    assert Witness(state, django_fetch).observe().pinned_keys == 1
    saved = json.loads(state.read_text())
    assert saved["signers"] == [vkey(new)] and saved["retired"] == [vkey(old)]

    assert_witness_refuses_the_old_key_again(state, old, new)


def test_a_witness_state_written_before_keys_were_tracked_learns_them_from_its_head(
    demo: Demo, tmp_path: Path
) -> None:
    """Such a state has its last head: the keys that signed it are current, every other
    key it holds signed before them (a key joins a state only with a head it signs)."""
    do_write_checkpoint()
    state = tmp_path / "w.json"
    Witness(state, django_fetch).observe()
    old, new = rotate()
    sign("test.after_rotation")
    Witness(state, django_fetch, keys=[vkey(new)]).observe()
    saved = json.loads(state.read_text())
    del saved["signers"], saved["retired"]
    state.write_text(json.dumps(saved))

    assert_witness_refuses_the_old_key_again(state, old, new)


def test_every_key_of_a_cosigned_head_that_does_not_sign_the_next_is_retired(
    tmp_path: Path,
) -> None:
    """Heads cosigned by A and B, then signed by C alone: A and B are both replaced."""
    a, b, c = (Ed25519PrivateKey.generate() for _ in range(3))
    text = note.Checkpoint(ORIGIN, 1, b"\x07" * 32).text()

    def signed(*keys: Ed25519PrivateKey) -> bytes:
        notes = [
            note.sign_note(text, ORIGIN, k.public_key().public_bytes_raw(), k.sign) for k in keys
        ]
        return (notes[0] + "".join(n[len(text) + 1 :] for n in notes[1:])).encode()

    def witness_of(head: bytes, *keys: Ed25519PrivateKey) -> Witness:
        given = [note.Verifier(ORIGIN, k.public_key().public_bytes_raw()).vkey for k in keys]
        return Witness(tmp_path / "w.json", lambda path: (200, head), keys=given)

    witness_of(signed(a, b), a, b).observe()
    witness_of(signed(c), c).observe()
    saved = json.loads((tmp_path / "w.json").read_text())
    assert len(saved["retired"]) == 2 and len(saved["signers"]) == 1
    for key in (a, b):
        with pytest.raises(Rejected) as rejected:
            witness_of(signed(key)).observe()
        assert "saw replaced" in str(rejected.value)
    witness_of(signed(c, b)).observe()  # cosigned with the current key: accepted


def test_retired_keys_in_a_state_are_read_in_any_spelling(tmp_path: Path) -> None:
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    while note.Verifier(ORIGIN, a.public_key().public_bytes_raw()).vkey.split("+")[1].isdigit():
        a = Ed25519PrivateKey.generate()  # a key hash with letters, to spell them otherwise
    text = note.Checkpoint(ORIGIN, 1, b"\x07" * 32).text()
    head_a = note.sign_note(text, ORIGIN, a.public_key().public_bytes_raw(), a.sign).encode()
    head_b = note.sign_note(text, ORIGIN, b.public_key().public_bytes_raw(), b.sign).encode()
    vkey_a, vkey_b = (note.Verifier(ORIGIN, k.public_key().public_bytes_raw()).vkey for k in (a, b))
    state = tmp_path / "w.json"
    Witness(state, lambda path: (200, head_b), keys=[vkey_a, vkey_b]).observe()
    saved = json.loads(state.read_text())
    name, key_hash, key = vkey_a.split("+", 2)  # base64 may hold a "+" too
    saved["retired"] = [f"{name}+{key_hash.upper()}+{key}"]  # a hand-edited state
    state.write_text(json.dumps(saved))
    with pytest.raises(Rejected):
        Witness(state, lambda path: (200, head_a)).observe()
