"""Who may see which attachment (house rule 2), and the one way to read one (rule 3).

An errand's files are for its participants — the owner and the current assignee — as
its text is: `access_attachment` finds the file through `access_errand` and answers the
same 404 for a missing file, another errand's file, and an errand one may not see.
Names and contents open only through the vault (`unseal`, `open_file`), which asks the
access policy again and writes each staff read into the owner's "Who saw my data".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from hisho.accounts.principal import Principal
from hisho.attachments.content import attachment_storage, errand_scope, file_place, name_place
from hisho.attachments.models import Attachment, Kind
from hisho.desk.access import access_errand
from hisho.desk.models import Errand
from hisho.errors import Conflict, NotFound
from hisho.vault.files import open_file
from hisho.vault.models import AccessAction
from hisho.vault.sealing import unseal

ATTACHMENT_NOT_FOUND = "No such file."


@dataclass(frozen=True)
class AttachmentView:
    id: uuid.UUID
    name: str
    content_type: str
    size: int
    created_at: dt.datetime
    uploaded_by_id: int | None
    uploaded_by_name: str
    intact: bool = True

    @property
    def kind_label(self) -> str:
        return str(Kind(self.content_type).label)


def page_context(principal: Principal, errand: Errand) -> dict[str, Any]:
    """What the errand page's file list and form need (attachments/errand_attachments.html)."""
    max_bytes = settings.HISHO_ATTACHMENT_MAX_BYTES
    return {
        "attachments": read_attachments(principal, errand),
        "attachment_max_bytes": max_bytes,
        "attachment_max_mb": max_bytes // (1024 * 1024),
    }


def files_frame(principal: Principal, errand: Errand) -> dict[str, Any]:
    """The live chat's frame for a changed file list: what the page's list shows, read
    as the page reads it (a staff reader's look is in the owner's access log)."""
    return {
        "type": "files",
        "errand": str(errand.pk),
        "files": [
            {
                "id": str(view.id),
                "name": view.name,
                "url": f"/api/v1/errands/{errand.pk}/attachments/{view.id}",
                "about": " · ".join(
                    (view.kind_label, str(filesizeformat(view.size)), view.uploaded_by_name)
                ),
            }
            for view in read_attachments(principal, errand)
        ],
    }


def _parse_id(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def access_attachment(principal: Principal, errand_id: Any, attachment_id: Any) -> Attachment:
    """The file, for the errand's owner and current assignee only; 404 otherwise."""
    errand = access_errand(principal, errand_id)
    pk = _parse_id(attachment_id)
    attachment = (
        Attachment.objects.filter(pk=pk, errand=errand).select_related("uploaded_by").first()
        if pk is not None
        else None
    )
    if attachment is None:
        raise NotFound(ATTACHMENT_NOT_FOUND)
    attachment.errand = errand
    return attachment


def read_attachments(principal: Principal, errand: Errand) -> list[AttachmentView]:
    """An errand's files, oldest first, names opened in one vault call (a staff reader's
    read is one access-log entry); queries do not grow with the number of files."""
    rows = list(Attachment.objects.filter(errand=errand).select_related("uploaded_by"))
    names = unseal(
        principal,
        errand_scope(errand),
        [(name_place(row.pk), row.sealed_name) for row in rows],
        action=AccessAction.READ_FILES,
    )
    return [
        AttachmentView(
            id=row.pk,
            name=name.shown() or "",
            content_type=row.content_type,
            size=row.size,
            created_at=row.created_at,
            uploaded_by_id=row.uploaded_by_id,
            uploaded_by_name=row.uploaded_by.display_name if row.uploaded_by else "Former user",
            intact=name.ok,
        )
        for row, name in zip(rows, names, strict=True)
    ]


def read_attachment_name(principal: Principal, attachment: Attachment) -> str:
    (name,) = unseal(
        principal,
        errand_scope(attachment.errand),
        [(name_place(attachment.pk), attachment.sealed_name)],
        action=AccessAction.READ_FILES,
        strict=True,
    )
    return name.text or ""


def open_attachment(principal: Principal, attachment: Attachment) -> Iterator[bytes]:
    """The file's plaintext, chunk by chunk (CannotDecrypt, a 409, when it does not open:
    its errand's key was shredded, or the stored bytes were changed; a Conflict, also a
    409, when the store no longer has the file: an operator's loss, not the caller's
    mistake, and never a 500)."""
    try:
        stream = attachment_storage().open(attachment.storage_name, "rb")
    except FileNotFoundError:
        raise Conflict("This file is no longer in Hisho's store.") from None
    try:
        chunks = open_file(
            principal, errand_scope(attachment.errand), file_place(attachment.pk), stream
        )
    except BaseException:
        stream.close()
        raise
    return _closing(chunks, stream)


def _closing(chunks: Iterator[bytes], stream: Any) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        stream.close()
