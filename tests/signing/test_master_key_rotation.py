"""Signing keys and audit pseudonym keys are wrapped under the vault's master keys: a
master key rotation moves them along, so retiring the old master key loses nothing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from hisho.audit.actions import do_write_checkpoint
from hisho.audit.models import AuditSubject
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from hisho.signing import keys
from hisho.signing.models import SigningKey
from hisho.signing.service import sign_document, verify_document
from hisho.signing.wrapping import registered
from hisho.vault.actions import do_retire_master_keys, do_rotate_keys
from hisho.vault.keyring import master_keys


@pytest.fixture
def keyring(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "master.keyring"
    shutil.copy(Path(django_settings.HISHO_MASTER_KEY_FILE), path)
    settings.HISHO_MASTER_KEY_FILE = path
    settings.HISHO_MASTER_KEY_GENERATE = False
    assert master_keys().key_ids()
    return path


def test_retiring_the_old_master_key_keeps_signatures_and_the_log_verifiable(
    demo: Demo, keyring: Path
) -> None:
    before = sign_document({"type": "test", "n": 1})
    assert do_write_checkpoint() is not None
    old = master_keys().active_key_id()
    assert {t.name for t in registered()} >= {"signing keys", "audit pseudonym keys"}

    do_rotate_keys(new_customer_keys=False)
    assert do_retire_master_keys() == [old]
    keys.forget_cached_keys()

    assert old not in master_keys().key_ids()
    assert not SigningKey.objects.filter(master_key_id=old).exists()
    assert not AuditSubject.objects.filter(master_key_id=old).exists()
    assert verify_document(before)["n"] == 1
    assert verify_document(sign_document({"type": "test", "n": 2}))["n"] == 2
    report = verify_log()
    assert report.ok, report.problems
    call_command("check")  # signing.E001 would stop start-up otherwise
