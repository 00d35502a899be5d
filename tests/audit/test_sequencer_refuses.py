"""The sequencer signs only a tree that is exactly the latest signed head's, grown by new
leaves, and that extends the head it signed itself (hisho.audit.tree._check_extends).

Someone with full database access (no signing key) who rewrote an entry and rebuilt the
tree used to get the rewrite signed by the sequencer: by deleting the heads that covered
it, or even with every head kept (a signed fork). Each way is refused here, nothing is
signed, and `hisho audit-verify` names what is wrong."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from hisho.audit.sequencer import Sequencer
from hisho.audit.tree import TreeMismatch
from hisho.audit.verify import verify_log
from hisho.audit.witness import Rejected, Witness
from hisho.demo import Demo
from tests.audit.conftest import trigger_off
from tests.audit.test_tamper import rewrite_and_rehash
from tests.audit.test_transparency_api import django_fetch

pytestmark = pytest.mark.django_db


def signed_heads() -> list[int]:
    return list(AuditTreeHead.objects.order_by("size").values_list("size", flat=True))


def fillers(count: int) -> None:
    for n in range(count):
        record_event("test.filler", actor=None, extra={"n": n})


def test_a_rewrite_with_every_head_kept_is_not_signed(demo: Demo) -> None:
    head = do_write_checkpoint()
    assert head is not None
    rewrite_and_rehash(AuditEvent.objects.get(leaf_index=3), {"forged": 1})
    record_event("test.after_rewrite", actor=None)
    with pytest.raises(TreeMismatch, match="does not have the signed tree head's root"):
        do_write_checkpoint()
    assert signed_heads()[-1] == head.size  # no head over the rewrite
    assert AuditEvent.objects.filter(leaf_index=None).count() == 1  # the new entry waits
    assert not verify_log().ok


def test_deleting_the_heads_that_covered_a_rewrite_does_not_get_it_signed(demo: Demo) -> None:
    first = do_write_checkpoint()
    assert first is not None
    fillers(3)
    second = do_write_checkpoint()
    assert second is not None
    # The victim is covered by the second head only; that head goes.
    rewrite_and_rehash(AuditEvent.objects.get(leaf_index=first.size), {"forged": 1})
    with trigger_off():
        AuditTreeHead.objects.filter(size__gt=first.size).delete()
    record_event("test.after_rewrite", actor=None)
    with pytest.raises(TreeMismatch, match=f"latest signed tree head is of size {first.size}"):
        do_write_checkpoint()
    assert signed_heads()[-1] == first.size
    report = verify_log()
    assert not report.ok and report.first_bad is not None


def test_deleting_every_head_does_not_get_a_rewrite_signed(demo: Demo) -> None:
    do_write_checkpoint()
    rewrite_and_rehash(AuditEvent.objects.get(leaf_index=0), {"forged": 1})
    with trigger_off():
        AuditTreeHead.objects.all().delete()
    with pytest.raises(TreeMismatch, match="no signed tree head covers them"):
        do_write_checkpoint()
    assert signed_heads() == []


def test_the_command_says_why_it_does_not_sign(demo: Demo) -> None:
    do_write_checkpoint()
    with trigger_off():
        AuditTreeHead.objects.all().delete()
    with pytest.raises(CommandError, match=r"Not signing: .* no signed tree head covers them"):
        call_command("audit-checkpoint")


def test_a_head_edited_in_the_database_is_not_extended(demo: Demo) -> None:
    """The head's root column rewritten to match a rebuilt tree: its signature says
    otherwise."""
    head = do_write_checkpoint()
    assert head is not None
    rewrite_and_rehash(AuditEvent.objects.get(leaf_index=2), {"forged": 1})
    from hisho.audit import merkle
    from hisho.audit.tree import load_nodes

    forged_root = merkle.range_hash(0, head.size, load_nodes(merkle.right_edge(head.size)))
    with trigger_off():
        AuditTreeHead.objects.filter(pk=head.pk).update(root_hash=forged_root.hex())
    record_event("test.after_rewrite", actor=None)
    with pytest.raises(TreeMismatch, match="says other than its signature"):
        do_write_checkpoint()


def unintegrate_everything() -> None:
    """The rewriter's last resort: every head, node and leaf index gone, so the database
    looks like a log that was never signed (every entry pending)."""
    with trigger_off():
        AuditTreeHead.objects.all().delete()
        AuditTreeNode.objects.all().delete()
        AuditEvent.objects.update(leaf_index=None)


def test_a_running_sequencer_does_not_sign_a_log_rebuilt_under_it(
    demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    """The database alone then holds nothing to compare with; the sequencer remembers the
    head it signed, and the log no longer extends it. Said once, not every step."""
    sequencer = Sequencer()
    assert sequencer.step() >= 1
    anchor = sequencer.anchor
    assert anchor is not None and anchor == (
        signed_heads()[-1],
        AuditTreeHead.objects.latest("size").root_hash,
    )
    victim = AuditEvent.objects.get(leaf_index=1)
    unintegrate_everything()
    with trigger_off():
        AuditEvent.objects.filter(pk=victim.pk).update(extra={"forged": 1})
    with caplog.at_level(logging.ERROR, logger="hisho.audit.sequencer"):
        assert sequencer.step() == 0
        assert sequencer.step() == 0
    assert signed_heads() == []
    [said] = [r.getMessage() for r in caplog.records if "not signing" in r.getMessage()]
    assert f"the signed tree head of size {anchor[0]} is gone" in said


def test_a_witness_rejects_a_log_rebuilt_and_signed_after_a_restart(
    demo: Demo, tmp_path: Path
) -> None:
    """What the database and a restarted sequencer cannot see — every trace of the
    signed log removed and the entries rewritten — the witness does: the new head does
    not extend the one it saw."""
    head = do_write_checkpoint()
    assert head is not None
    witness = Witness(tmp_path / "w.json", django_fetch)
    witness.observe()
    victim = AuditEvent.objects.get(leaf_index=3)
    unintegrate_everything()
    with trigger_off():
        AuditEvent.objects.filter(pk=victim.pk).update(extra={"forged": 1})
    victim.refresh_from_db()
    from hisho.audit import chain

    with trigger_off():
        AuditEvent.objects.filter(pk=victim.pk).update(leaf_hash=chain.leaf_hash(victim))
    fillers(1)
    assert Sequencer().step() >= 1  # a new process: nothing to hold the log to
    assert signed_heads()[-1] == head.size + 1
    with pytest.raises(Rejected):
        witness.observe()
