"""Every write of attachments (house rule 1): attaching a file, erasing a customer's files.

`do_attach_file` screens the upload (hisho/attachments/screening.py: type from the
content, images re-encoded without metadata, PDFs checked, names and PDF text through
DLP), seals the name and the file under the errand's data key (hisho/vault/files.py),
writes the sealed stream to the attachments storage and the row in one transaction with
its audit event. A refused file leaves nothing behind: no row, no stored bytes.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable

from django.core.files import File
from django.db import transaction

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


@transaction.atomic
def do_attach_file(
    *, actor: User, errand: Errand, upload: Upload, language: str | None = None
) -> Attachment:
    """Attach `upload` to `errand` (its owner or current assignee, while it is open)."""
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
        attachment.save(force_insert=True)
        Errand.objects.filter(pk=errand.pk).update(updated_at=attachment.created_at)
        record_event(
            "attachment.added",
            actor=actor,
            target=errand,
            extra={
                "attachment_id": attachment_id,
                "kind": screened.kind.name,
                "size": screened.size,
            },
        )
        # Open chats (the other participant's too) redraw their file list once it is
        # stored; its push job is queued in this transaction.
        live.files_changed(
            errand_id=errand.pk,
            customer_id=errand.customer_id,
            assignee_id=errand.assignee_id,
        )
    except BaseException:
        storage.delete(stored)
        raise
    return attachment


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
