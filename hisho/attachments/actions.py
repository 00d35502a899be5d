"""Every write of attachments (house rule 1): attaching a file, erasing a customer's files,
deleting sealed files no attachment names.

`do_attach_file` screens the upload (hisho/attachments/screening.py: type from the
content, images re-encoded without metadata, PDFs checked, names and PDF text through
DLP), seals the name and the file under the errand's data key (hisho/vault/files.py),
writes the sealed stream to the attachments storage and the row in one transaction with
its audit event. A refused file leaves nothing behind: no row, no stored bytes.

Files are not transactional: when a transaction *around* `do_attach_file` rolls back after
it returned, or a committed erasure's file deletion fails, a sealed file stays that no row
names. The daily retention job deletes such files (`do_delete_orphaned_files`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Callable, Iterator

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from hisho.accounts.models import User
from hisho.attachments.content import (
    attachment_storage,
    errand_scope,
    file_place,
    name_place,
)
from hisho.attachments.models import Attachment
from hisho.attachments.screening import Upload, screen
from hisho.audit.actions import record_event
from hisho.desk import live
from hisho.desk.access import holds_errand
from hisho.desk.models import OPEN_STATUSES, Errand
from hisho.errors import Conflict, NotFound
from hisho.vault.files import seal_file
from hisho.vault.sealing import seal

# Sealed streams are spooled through memory up to this size, then a temporary file.
SPOOL_BYTES = 1024 * 1024
# A sealed file is stored before its row commits: younger files are never orphans yet.
ORPHAN_AFTER = dt.timedelta(hours=1)
# Attachment ids looked up per query when sweeping.
SWEEP_BATCH = 500


def do_attach_file(
    *, actor: User, errand: Errand, upload: Upload, language: str | None = None
) -> Attachment:
    """Attach `upload` to `errand` (its owner or current assignee, while it is open).

    Screening (a PDF's text read, an image re-encoded: seconds for a hostile file) and
    sealing run before the transaction, not in it: on SQLite a write transaction holds
    the database's one write lock, and a slow upload made every other writer wait, then
    fail. Only the row, the errand's time and the audit event are one transaction."""
    if not holds_errand(actor, errand):
        raise NotFound("No such errand.")
    if errand.status not in OPEN_STATUSES:
        raise Conflict(f"This errand is {errand.status}; files can no longer be added.")
    screened = screen(upload, language=language or actor.language)
    attachment_id = uuid.uuid4()
    scope = errand_scope(errand)
    attachment = Attachment(
        id=attachment_id,
        errand=errand,
        uploaded_by=actor,
        content_type=screened.kind,
        size=screened.size,
        sealed_name=seal(scope, name_place(attachment_id), screened.name),
    )
    storage = attachment_storage()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for piece in seal_file(scope, file_place(attachment_id), screened.chunks):
            spool.write(piece)
        spool.seek(0)
        stored = storage.save(attachment.storage_name, File(spool))
    try:
        if stored != attachment.storage_name:
            raise RuntimeError("the attachments storage renamed a sealed file")
        _record_attachment(actor, errand, attachment, screened.kind.name)
    except BaseException:
        storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def _record_attachment(actor: User, errand: Errand, attachment: Attachment, kind: str) -> None:
    # Asked again under the row's lock: screening ran outside any transaction, and an
    # assistant taken off the errand (or an errand closed) meanwhile adds nothing to it.
    current = Errand.objects.select_for_update().filter(pk=errand.pk).first()
    if current is None or not holds_errand(actor, current):
        raise NotFound("No such errand.")
    if current.status not in OPEN_STATUSES:
        raise Conflict(f"This errand is {current.status}; files can no longer be added.")
    errand = current
    attachment.save(force_insert=True)
    Errand.objects.filter(pk=errand.pk).update(updated_at=attachment.created_at)
    record_event(
        "attachment.added",
        actor=actor,
        target=errand,
        extra={
            "attachment_id": attachment.pk,
            "kind": kind,
            "size": attachment.size,
        },
    )
    # Open chats (the other participant's too) redraw their file list once it is
    # stored; its push job is queued in this transaction.
    live.files_changed(
        errand_id=errand.pk,
        customer_id=errand.customer_id,
        assignee_id=errand.assignee_id,
    )


def _delete_stored(names: list[str]) -> Callable[[], None]:
    def delete() -> None:
        storage = attachment_storage()
        for name in names:
            storage.delete(name)

    return delete


@transaction.atomic
def do_erase_customer_attachments(*, actor: User, customer: User) -> int:
    """Delete a customer's attachments (their account is being erased): the rows now, the
    sealed files once the erasure has committed. Their key is shredded by the same
    erasure, so a file that somehow stays (a backup of the bucket) still never opens."""
    if actor.pk != customer.pk:
        raise NotFound("No such person.")
    rows = Attachment.objects.filter(errand__customer_id=customer.pk)
    names = [a.storage_name for a in rows.only("id", "errand_id")]
    deleted, _ = rows.delete()
    if names:
        transaction.on_commit(_delete_stored(names), robust=True)
        record_event("attachment.erased", actor=actor, target=customer, extra={"count": len(names)})
    return int(deleted)


def _uuid_named(text: str, suffix: str = "") -> uuid.UUID | None:
    """The UUID `text` spells in canonical form (then `suffix`), else None."""
    try:
        value = uuid.UUID(text.removesuffix(suffix)) if text.endswith(suffix) else None
    except ValueError:
        return None
    return value if value is not None and text == f"{value}{suffix}" else None


def _sealed_files() -> Iterator[tuple[uuid.UUID, uuid.UUID, str]]:
    """(errand id, attachment id, storage name) of every file laid out as `storage_name`
    lays them out; anything else in the storage is not ours to judge, and is left."""
    storage = attachment_storage()
    try:
        errand_dirs, _ = storage.listdir("")
    except FileNotFoundError:
        # A file-system storage makes its directory with the first file: before anything
        # was ever attached there is nothing to sweep, and the daily retention run (which
        # sweeps last) must not fail on a fresh installation.
        return
    for errand_dir in errand_dirs:
        errand_id = _uuid_named(errand_dir)
        if errand_id is None:
            continue
        _, files = storage.listdir(errand_dir)
        for file_name in files:
            attachment_id = _uuid_named(file_name, ".sealed")
            if attachment_id is not None:
                yield errand_id, attachment_id, f"{errand_dir}/{file_name}"


def _orphans(batch: list[tuple[uuid.UUID, uuid.UUID, str]], older_than: dt.datetime) -> list[str]:
    named = set(
        Attachment.objects.filter(pk__in=[a for _e, a, _n in batch]).values_list("errand_id", "id")
    )
    storage = attachment_storage()
    return [
        name
        for errand_id, attachment_id, name in batch
        if (errand_id, attachment_id) not in named and storage.get_modified_time(name) < older_than
    ]


def do_delete_orphaned_files(now: dt.datetime | None = None) -> int:
    """Delete the sealed files no attachment row names, once older than ORPHAN_AFTER (the
    daily retention job; the operator at the command line). Returns how many went. Each
    was sealed under its errand's key; deleting it is housekeeping, not erasure — an
    erased customer's key is already shredded.

    Files do not roll back, so each batch is logged *before* its files are deleted: a
    process that dies in between leaves an entry for files still there (the next run
    deletes and logs them again), never deleted files with no entry."""
    older_than = (now or timezone.now()) - ORPHAN_AFTER
    deleted = 0
    batch: list[tuple[uuid.UUID, uuid.UUID, str]] = []
    for found in _sealed_files():
        batch.append(found)
        if len(batch) == SWEEP_BATCH:
            deleted += _delete_orphans(batch, older_than)
            batch = []
    if batch:
        deleted += _delete_orphans(batch, older_than)
    return deleted


def _delete_orphans(batch: list[tuple[uuid.UUID, uuid.UUID, str]], older_than: dt.datetime) -> int:
    orphans = _orphans(batch, older_than)
    if orphans:
        record_event("attachment.orphans_deleted", actor=None, extra={"count": len(orphans)})
        storage = attachment_storage()
        for name in orphans:
            storage.delete(name)
    return len(orphans)
