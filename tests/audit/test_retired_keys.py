"""Signing-key changes go one way. After `hisho rotate-signing-key` the old key only
verifies the heads it signed: a head it signs later — the retired key leaked, or was put
back to work — is named by `hisho audit-verify` and rejected by every witness that saw
the change. Both judge by the order of heads, not by dates an operator could rewrite."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
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
    assert saved["signer"] == vkey(new) and saved["retired"] == [vkey(old)]
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


def test_a_witness_state_written_before_keys_were_tracked_still_loads(
    demo: Demo, tmp_path: Path
) -> None:
    do_write_checkpoint()
    state = tmp_path / "w.json"
    Witness(state, django_fetch).observe()
    saved = json.loads(state.read_text())
    del saved["signer"], saved["retired"]
    state.write_text(json.dumps(saved))
    sign("test.more")
    outcome = Witness(state, django_fetch).observe()
    assert outcome.previous is not None and outcome.size > outcome.previous
    assert json.loads(state.read_text())["signer"] == saved["keys"][0]
