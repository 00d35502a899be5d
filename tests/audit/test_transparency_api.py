"""The transparency log over HTTP (API.md "Transparency log"), the customer's own proof
bundle checked offline, signed-note vectors, and witnesses that catch a rewritten
history and a forked tree (POLICY K6)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.test import Client

from hisho.audit import chain, merkle, note
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent, AuditTreeHead
from hisho.audit.proofs import BundleError, verify_bundle
from hisho.audit.tree import sign_checkpoint, verifiers
from hisho.audit.witness import Rejected, Witness
from hisho.demo import Demo
from tests.audit.conftest import trigger_off

# golang.org/x/mod/sumdb/note's example key and note (note_test.go), also in C2SP.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signed_notes_match_the_go_reference_byte_for_byte() -> None:
    verifier = note.parse_vkey(GO_VKEY)
    assert verifier.vkey == GO_VKEY and verifier.hash.hex() == "c74f20a3"
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    private = Ed25519PrivateKey.from_private_bytes(seed)
    signed = note.sign_note(GO_TEXT, "PeterNeumann", verifier.public_key, private.sign)
    assert signed == GO_TEXT + "\n" + GO_SIG
    assert note.open_note(signed, [verifier]) == (GO_TEXT, [verifier])
    with pytest.raises(note.NoteError):
        note.open_note(signed.replace("cryptography", "cryptographY"), [verifier])
    with pytest.raises(note.NoteError):  # signed by nobody we know
        note.open_note(signed, [note.Verifier("PeterNeumann", b"\x01" * 32)])
    with pytest.raises(note.NoteError):
        note.parse_vkey(GO_VKEY.replace("c74f20a3", "c74f20a4"))


def public(path: str, **params: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return Client().get(f"/api/v1{path}" + (f"?{query}" if query else ""))


def test_checkpoint_and_proofs_are_public_and_verify(demo: Demo, api_as: Any) -> None:
    assert public("/audit/checkpoint").status_code == 404  # nothing signed yet
    first = do_write_checkpoint()
    assert first is not None
    for n in range(5):
        record_event("test.more", actor=None, extra={"n": n})
    second = do_write_checkpoint()
    assert second is not None

    response = public("/audit/checkpoint")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    checkpoint = note.open_checkpoint(text, verifiers())
    assert checkpoint.size == second.size and checkpoint.root.hex() == second.root_hash
    origin, size, _root, blank, signature = text.split("\n")[:5]
    assert (size, blank) == (str(second.size), "") and signature.startswith("\u2014 " + origin)

    anonymous = api_as("anonymous")  # validated against the OpenAPI document
    for entry in AuditEvent.objects.order_by("leaf_index"):
        body = anonymous.get("/audit/proof/inclusion", index=entry.leaf_index, size=second.size)
        assert body.status_code == 200
        proof = body.json()
        assert set(proof) == {"index", "size", "leaf_hash", "hashes"}
        leaf = base64.b64decode(proof["leaf_hash"])
        assert leaf == merkle.leaf_hash(chain.leaf_data(entry))
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        assert merkle.verify_inclusion(proof["index"], proof["size"], leaf, hashes, checkpoint.root)
    consistency = anonymous.get(
        "/audit/proof/consistency", **{"from": first.size, "to": second.size}
    )
    assert consistency.status_code == 200
    body = consistency.json()
    assert set(body) == {"from", "to", "hashes"} and body["from"] == first.size
    assert merkle.verify_consistency(
        first.size,
        second.size,
        bytes.fromhex(first.root_hash),
        checkpoint.root,
        [base64.b64decode(h) for h in body["hashes"]],
    )
    # Out of range: past the signed head, index ≥ size, from > to.
    assert anonymous.get("/audit/proof/inclusion", index=0, size=second.size + 1).status_code == 404
    assert anonymous.get("/audit/proof/inclusion", index=3, size=3).status_code == 404
    assert anonymous.get("/audit/proof/consistency", **{"from": 5, "to": 4}).status_code == 404
    # Public and free of personal data: hashes and sizes only.
    for handle, user in demo.people.items():
        assert user.email not in text and handle not in text.lower().split("\n")[0]


def reads(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reads of an access log (who was given an errand is listed there too)."""
    return [e for e in entries if e["action"].startswith("read_")]


def test_who_saw_my_data_offers_each_entrys_proof_for_download(
    demo: Demo, api_as: Any, web_as: Any
) -> None:
    """The page promised by the README ("each entry can be downloaded with its proof") had
    no such link: only an API client could get a proof."""
    api_as("kenji").get(f"/errands/{demo.alice_errand.pk}/sealed")
    alice = web_as("alice")
    before = alice.get("/me/access-log/").content.decode()
    assert "/proof" not in before and "soon" in before  # not integrated yet
    do_write_checkpoint()
    [index] = [e["leaf_index"] for e in reads(api_as("alice").get("/me/access-log").json())]
    html = alice.get("/me/access-log/").content.decode()
    link = f'href="/api/v1/me/access-log/{index}/proof" download='
    assert link in html
    assert "soon" not in html  # who was given the errand has no proof to wait for
    # The link works with the page's own session, and the file verifies offline.
    bundle = alice.get(f"/api/v1/me/access-log/{index}/proof")
    assert bundle.status_code == 200
    assert verify_bundle(bundle.json()).leaf_index == index
    assert link not in web_as("bob").get("/me/access-log/").content.decode()
    # Another customer's browser session gets nothing for her index.
    assert web_as("bob").get(f"/api/v1/me/access-log/{index}/proof").status_code == 404


def test_access_log_entries_carry_their_leaf_and_verify_offline(
    demo: Demo, api_as: Any, tmp_path: Path, capsys: Any
) -> None:
    errand_id = demo.alice_errand.pk
    api_as("kenji").get(f"/errands/{errand_id}/sealed")
    entries = reads(api_as("alice").get("/me/access-log").json())
    assert len(entries) == 1 and entries[0]["leaf_index"] is None  # not integrated yet
    do_write_checkpoint()
    entries = reads(api_as("alice").get("/me/access-log").json())
    index = entries[0]["leaf_index"]
    assert isinstance(index, int)
    audit = AuditEvent.objects.get(leaf_index=index)
    assert (
        audit.event == "vault.staff_unsealed"
        and audit.extra["customer_id"] == demo.people["alice"].pk
    )

    bundle_response = api_as("alice").get(f"/me/access-log/{index}/proof")
    assert bundle_response.status_code == 200
    bundle = bundle_response.json()
    assert "alice" not in json.dumps(bundle) and "Kenji" not in json.dumps(bundle)
    for handle in ("bob", "kenji", "admin"):  # someone else's entry: not found / refused
        assert api_as(handle).get(f"/me/access-log/{index}/proof").status_code in (403, 404)
    assert api_as("alice").get(f"/me/access-log/{index - 1}/proof").status_code == 404

    verified = verify_bundle(bundle)
    assert verified.leaf_index == index and verified.entry["event"] == "vault.staff_unsealed"
    # The entry's salt comes with it (the leaf cannot be checked without it): hers alone.
    assert bundle["entry"]["v"] == 3 and bundle["entry"]["salt"] == audit.salt
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(bundle))
    call_command("audit-verify-proof", str(path), "--key", bundle["verifier_key"])
    assert "OK:" in capsys.readouterr().out
    # Tampered bundles fail: the entry, a proof hash, the checkpoint.
    for change in (
        lambda b: b["entry"]["extra"].update(action="read_errand"),
        lambda b: b["entry"].update(salt="0" * 32),
        lambda b: b["hashes"].__setitem__(0, base64.b64encode(b"\0" * 32).decode()),
        lambda b: b.update(checkpoint=b["checkpoint"].replace("\n", "\n1", 1)),
        lambda b: b.update(leaf_index=b["leaf_index"] + 1),
    ):
        bad = json.loads(json.dumps(bundle))
        change(bad)
        with pytest.raises(BundleError):
            verify_bundle(bad)
        path.write_text(json.dumps(bad))
        with pytest.raises(CommandError):
            call_command("audit-verify-proof", str(path))
    # A key other than the log's: refused even though the bundle is self-consistent.
    other = note.Verifier(verified.origin, b"\x02" * 32)
    with pytest.raises(BundleError):
        verify_bundle(bundle, [other])


def django_fetch(path: str) -> tuple[int, bytes]:
    response = Client().get(path)
    return response.status_code, response.content


def test_a_witness_accepts_an_honest_log(demo: Demo, tmp_path: Path) -> None:
    do_write_checkpoint()
    witness = Witness(tmp_path / "w.json", django_fetch)
    first = witness.observe()
    assert first.previous is None and first.pinned_keys == 1
    record_event("test.more", actor=None)
    do_write_checkpoint()
    assert witness.observe().previous == first.size
    assert witness.observe().size == first.size + 1  # the same head again: fine


def test_a_witness_rejects_a_fork_the_operator_signed(demo: Demo, tmp_path: Path) -> None:
    head = do_write_checkpoint()
    assert head is not None
    witness = Witness(tmp_path / "w.json", django_fetch)
    witness.observe()
    # The operator signs a different tree of a larger size...
    signed, key_id = sign_checkpoint(head.size + 4, b"\x05" * 32)
    fork = AuditTreeHead.objects.create(
        size=head.size + 4, root_hash="05" * 32, key_id=key_id, note=signed
    )
    with pytest.raises(Rejected):
        witness.observe()
    # ...or a second tree of the size the witness saw (served as the latest head).
    signed, key_id = sign_checkpoint(head.size, b"\x06" * 32)
    with trigger_off():
        fork.delete()
        AuditTreeHead.objects.filter(pk=head.pk).delete()
    AuditTreeHead.objects.create(size=head.size, root_hash="06" * 32, key_id=key_id, note=signed)
    with pytest.raises(Rejected, match="fork"):
        witness.observe()


def test_a_witness_rejects_a_head_signed_by_an_unknown_key(demo: Demo, tmp_path: Path) -> None:
    do_write_checkpoint()
    stranger = Ed25519PrivateKey.generate()
    vkey = note.Verifier("elsewhere/audit", stranger.public_key().public_bytes_raw()).vkey
    witness = Witness(tmp_path / "w.json", django_fetch, keys=[vkey])
    with pytest.raises(Rejected, match="does not verify"):
        witness.observe()


def test_reads_of_several_customers_in_one_request_give_each_entry_its_own_leaf(
    demo: Demo, api_as: Any
) -> None:
    """One request that reads two customers' errands (a page, a websocket frame) writes one
    access-log entry per errand, and each must be provable by its own customer."""
    from hisho.desk.actions import do_assign_errand
    from hisho.desk.content import read_content
    from hisho.vault.reads import reads_logged_once
    from tests.principals import P

    kenji = demo.people["kenji"]
    bob_errand = do_assign_errand(
        actor=demo.people["admin"], errand=demo.bob_errand, assistant_id=kenji.pk
    )
    before = AuditEvent.objects.count()
    with reads_logged_once() as batch:
        batch.actor = kenji
        read_content(P(kenji, second_factor=True), demo.alice_errand)
        read_content(P(kenji, second_factor=True), bob_errand)
    assert AuditEvent.objects.count() == before + 2
    do_write_checkpoint()
    for handle, errand in (("alice", demo.alice_errand), ("bob", bob_errand)):
        (entry,) = reads(api_as(handle).get("/me/access-log").json())
        index = entry["leaf_index"]
        assert isinstance(index, int), handle
        bundle = api_as(handle).get(f"/me/access-log/{index}/proof")
        assert bundle.status_code == 200, (handle, bundle.content)
        assert verify_bundle(bundle.json()).entry["extra"]["errand_id"] == str(errand.pk)


def test_an_inclusion_proof_is_read_from_stored_nodes_in_one_query(demo: Demo, api_as: Any) -> None:
    """Served from the stored nodes: the latest head, then every node the proof needs in
    one query, whatever the tree's size (no subtree recomputed from the entries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hisho.audit.actions import do_write_checkpoint

    head = do_write_checkpoint()
    assert head is not None and head.size > 8
    client = api_as("anonymous")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/audit/proof/inclusion", index=5, size=head.size)
    assert response.status_code == 200, response.content
    audit = [q["sql"] for q in captured.captured_queries if '"audit_' in q["sql"]]
    assert len(audit) == 2, audit
    assert "audit_audittreehead" in audit[0] and "audit_audittreenode" in audit[1]
    assert not [s for s in audit if "audit_auditevent" in s]
