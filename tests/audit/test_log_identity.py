"""The log's origin — the first line of every checkpoint, the name its key signs under —
is its identity, fixed by its first signed head: changing the public URL afterwards (as
`make run PORT=8080` does) renames nothing, so `hisho audit-verify` still passes and a
witness still accepts the next head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditTreeHead
from hisho.audit.tree import origin
from hisho.audit.verify import verify_log
from hisho.audit.witness import Witness
from hisho.demo import Demo
from tests.audit.test_transparency_api import django_fetch


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
