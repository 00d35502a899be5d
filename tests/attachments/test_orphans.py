"""Files do not roll back: a sealed file stored by `do_attach_file` inside a transaction
that later rolls back stays on disk with no row naming it. The daily retention job
deletes such files once they are older than an hour (a file is stored before its row
commits), and leaves alone every file a row names and anything it did not lay out."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from hisho.attachments.actions import ORPHAN_AFTER, do_attach_file, do_delete_orphaned_files
from hisho.attachments.models import Attachment
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.privacy.tasks import enforce_retention
from tests.attachments import samples


def stored(attachment_dir: Path) -> set[str]:
    return {str(p.relative_to(attachment_dir)) for p in attachment_dir.rglob("*") if p.is_file()}


def attach_then_roll_back(demo: Demo) -> None:
    """The action returned; the request's outer transaction failed afterwards."""
    with pytest.raises(RuntimeError), transaction.atomic():
        do_attach_file(
            actor=demo.people["alice"],
            errand=demo.alice_errand,
            upload=samples.upload("receipt.png", samples.png()),
        )
        raise RuntimeError("a later step of the request failed")


def later() -> dt.datetime:
    return timezone.now() + ORPHAN_AFTER + dt.timedelta(minutes=1)


def test_a_file_whose_transaction_rolled_back_is_deleted_once_an_hour_old(
    demo: Demo, attachment_dir: Path
) -> None:
    attach_then_roll_back(demo)
    assert not Attachment.objects.exists()
    (orphan,) = stored(attachment_dir)
    assert orphan.startswith(f"{demo.alice_errand.pk}/") and orphan.endswith(".sealed")

    assert do_delete_orphaned_files() == 0  # young: its row could still be committing
    assert stored(attachment_dir) == {orphan}
    assert do_delete_orphaned_files(now=later()) == 1
    assert stored(attachment_dir) == set()
    entry = AuditEvent.objects.filter(event="attachment.orphans_deleted").get()
    assert entry.actor_id is None and entry.extra == {"count": 1}
    assert do_delete_orphaned_files(now=later()) == 0  # nothing twice, no empty entry
    assert AuditEvent.objects.filter(event="attachment.orphans_deleted").count() == 1


def test_files_a_row_names_and_files_it_did_not_lay_out_stay(
    demo: Demo, api_as: Any, attachment_dir: Path
) -> None:
    created = api_as("alice").upload(
        f"/errands/{demo.alice_errand.pk}/attachments",
        {"file": samples.upload("passport.png", samples.png())},
    )
    assert created.status_code == 201
    errand_dir = attachment_dir / str(demo.alice_errand.pk)
    strangers = [
        attachment_dir / "README.txt",
        errand_dir / "notes.sealed",
        errand_dir / f"{str(uuid.uuid4()).upper()}.sealed",  # not the canonical spelling
        errand_dir / f"{uuid.uuid4()}.sealed.bak",
        attachment_dir / "not-an-errand" / f"{uuid.uuid4()}.sealed",
    ]
    for path in strangers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not ours")
    # A row's file under another errand's directory is not that row's file: an orphan.
    moved = attachment_dir / str(uuid.uuid4()) / f"{created.json()['id']}.sealed"
    moved.parent.mkdir()
    moved.write_bytes(b"copied")
    before = stored(attachment_dir)

    assert do_delete_orphaned_files(now=later()) == 1
    assert stored(attachment_dir) == before - {str(moved.relative_to(attachment_dir))}
    (attachment,) = Attachment.objects.all()
    assert (attachment_dir / attachment.storage_name).exists()


def test_the_daily_retention_job_deletes_them(demo: Demo, attachment_dir: Path) -> None:
    attach_then_roll_back(demo)
    (orphan,) = stored(attachment_dir)
    old = (later() - dt.timedelta(hours=3)).timestamp()
    os.utime(attachment_dir / orphan, (old, old))
    assert enforce_retention.call()["orphaned_files"] == 1
    assert stored(attachment_dir) == set()


def test_each_batch_is_logged_before_its_files_are_deleted(
    demo: Demo, attachment_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that dies while deleting must not leave deleted files with no entry:
    the entry for a batch is written first, and a crash costs at most one batch."""
    from hisho.attachments import actions
    from hisho.attachments.content import attachment_storage

    for _ in range(3):
        attach_then_roll_back(demo)
    monkeypatch.setattr(actions, "SWEEP_BATCH", 2)
    storage_class = type(attachment_storage())
    real_delete = storage_class.delete
    logged_at_each_delete: list[list[int]] = []

    def delete(self: Any, name: str) -> None:
        logged_at_each_delete.append(
            [
                e.extra["count"]
                for e in AuditEvent.objects.filter(event="attachment.orphans_deleted").order_by(
                    "pk"
                )
            ]
        )
        if len(logged_at_each_delete) == 3:
            raise OSError("the process dies here")
        real_delete(self, name)

    monkeypatch.setattr(storage_class, "delete", delete)
    with pytest.raises(OSError):
        do_delete_orphaned_files(now=later())
    # Two files of the first batch went, each after its entry; the third file's batch
    # was logged before the failed deletion, so no deletion is ever missing from the log.
    assert logged_at_each_delete == [[2], [2], [2, 1]]
    assert len(stored(attachment_dir)) == 1

    monkeypatch.setattr(storage_class, "delete", real_delete)
    assert do_delete_orphaned_files(now=later()) == 1  # the next run finishes the job
    assert stored(attachment_dir) == set()


def test_the_daily_retention_job_runs_before_any_file_was_ever_attached(
    demo: Demo, settings: Any, tmp_path: Path
) -> None:
    """A file-system storage makes its directory with the first file: on a fresh
    installation the sweep finds none, and the retention run does not fail on it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "never-made")},
        },
    }
    assert do_delete_orphaned_files(now=later()) == 0
    assert enforce_retention.call()["orphaned_files"] == 0


def test_a_failed_retention_run_still_queues_the_next(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks_db.models import DBTaskResult

    from hisho.privacy import tasks

    def fail() -> dict[str, int]:
        raise OSError("the storage is unreachable today")

    monkeypatch.setattr(tasks, "apply_retention", fail)
    with pytest.raises(OSError):
        enforce_retention.call()
    pending = DBTaskResult.objects.filter(task_path=enforce_retention.module_path, status="READY")
    assert pending.count() == 1
