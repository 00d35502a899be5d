"""The log's origin — the first line of every checkpoint, the name its key signs under —
is its identity, fixed by its first signed head: changing the public URL afterwards (as
`make run PORT=8080` does) renames nothing, so `hisho audit-verify` still passes and a
witness still accepts the next head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent, AuditTreeHead
from hisho.audit.tree import origin
from hisho.audit.verify import verify_log
from hisho.audit.witness import Witness
from hisho.demo import Demo
from tests.audit.test_transparency_api import django_fetch
from tests.vault.test_startup import hisho


@pytest.mark.django_db
def test_the_origin_is_fixed_by_the_first_head(demo: Demo, settings: Any, tmp_path: Path) -> None:
    settings.HISHO_AUDIT_LOG_ORIGIN = ""
    settings.HISHO_PUBLIC_URL = "https://hisho.example"
    first = do_write_checkpoint()
    assert first is not None and first.note.startswith("hisho.example/audit\n")
    witness = Witness(tmp_path / "witness.json", django_fetch)
    witness.observe()

    settings.HISHO_PUBLIC_URL = "http://127.0.0.1:8080"
    assert origin() == "hisho.example/audit"
    record_event("test.more", actor=None)
    second = do_write_checkpoint()
    assert second is not None and second.note.startswith("hisho.example/audit\n")
    report = verify_log()
    assert report.ok, report.problems
    assert witness.observe().size == second.size

    settings.HISHO_AUDIT_LOG_ORIGIN = "another.example/log"
    record_event("test.more", actor=None)
    third = do_write_checkpoint()
    assert third is not None and third.note.startswith("hisho.example/audit\n")
    assert AuditTreeHead.objects.count() == 3
    assert verify_log().ok


def test_the_origin_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    """docs/audit.md names HISHO_AUDIT_LOG_ORIGIN; settings.py never read it, so the
    first head — which fixes the log's name for good — took the public URL's host."""
    shown = "from hisho.audit.tree import configured_origin; print(configured_origin())"
    result = hisho(tmp_path, "shell", "-c", shown, HISHO_AUDIT_LOG_ORIGIN="hisho.example/log")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "hisho.example/log"


@pytest.mark.parametrize("value", ["Hisho audit log", "hisho.example/audit+1", "log\tname"])
def test_an_origin_no_note_can_carry_stops_start_up(tmp_path: Path, value: str) -> None:
    result = hisho(tmp_path, "check", HISHO_AUDIT_LOG_ORIGIN=value)
    assert result.returncode != 0
    assert "HISHO_AUDIT_LOG_ORIGIN must be printable" in result.stderr


@pytest.mark.django_db
def test_no_head_is_signed_under_a_name_no_verifier_can_read(demo: Demo, settings: Any) -> None:
    """A public URL whose host makes no key name (a space) signed a head whose signature
    line nobody could parse — and that head would have fixed the log's name."""
    settings.HISHO_AUDIT_LOG_ORIGIN = ""
    settings.HISHO_PUBLIC_URL = "https://hisho example"
    with pytest.raises(ImproperlyConfigured):
        do_write_checkpoint()
    assert not AuditTreeHead.objects.exists()
    assert not AuditEvent.objects.filter(leaf_index__isnull=False).exists()
    with pytest.raises(CommandError, match="Not signing: the audit log's origin"):
        call_command("audit-checkpoint")
