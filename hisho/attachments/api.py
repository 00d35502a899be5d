"""`/api/v1/errands/{id}/attachments`: attach a file, list them, download one (API.md).

Owner and current assignee only; everyone else gets 404 (the errand's rule). Uploads are
multipart with one field, `file`, of at most HISHO_ATTACHMENT_MAX_BYTES (413 beyond it);
what is kept is decided in hisho/attachments/screening.py and refused with a 422.
Downloads are always `Content-Disposition: attachment`, `nosniff` and never cached by a
shared cache.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from hisho.accounts.principal import Principal, principal_of
from hisho.attachments.access import (
    AttachmentView,
    access_attachment,
    open_attachment,
    read_attachment_name,
    read_attachments,
)
from hisho.attachments.actions import do_attach_file
from hisho.attachments.models import Attachment, Kind
from hisho.attachments.uploads import upload_was_too_large
from hisho.desk.access import access_errand
from hisho.errors import InvalidInput
from hisho.idempotency.api import idempotent
from hisho.schemas import with_errors

router = Router(tags=["attachments"])

MAX_MB = settings.HISHO_ATTACHMENT_MAX_BYTES // (1024 * 1024)
ACCEPTED = sorted({str(kind.value) for kind in Kind})


class AttachmentOut(Schema):
    id: uuid.UUID
    name: str = Field(description="The cleaned file name; its extension is the stored type's.")
    content_type: str = Field(
        description="The type Hisho decided from the content (HEIC photos become image/jpeg).",
        json_schema_extra={"enum": list[Any](ACCEPTED)},
    )
    size: int = Field(description="Bytes of the stored file.")
    created_at: dt.datetime
    uploaded_by: int | None = Field(default=None, description="The uploader's person id.")


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": (
                            f"A photo (JPEG, PNG, WebP, HEIC), a PDF or a voice note (M4A/AAC, "
                            f"Ogg/Opus, WebM, MP3) of at most {MAX_MB} MB; the type is read "
                            "from the content. Images are re-encoded without metadata."
                        ),
                        "x-max-bytes": settings.HISHO_ATTACHMENT_MAX_BYTES,
                    }
                },
            }
        }
    },
}

DOWNLOAD_RESPONSE = {
    "description": "The file, as an attachment to save (never shown inline).",
    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in ACCEPTED},
}


def attachment_out(view: AttachmentView) -> AttachmentOut:
    return AttachmentOut(
        id=view.id,
        name=view.name,
        content_type=view.content_type,
        size=view.size,
        created_at=view.created_at,
        uploaded_by=view.uploaded_by_id,
    )


def _single_file(request: HttpRequest) -> Any:
    try:
        files = request.FILES.getlist("file")  # parsing the body marks an upload too large
    except MultiPartParserError:
        raise HttpError(400, "The multipart body cannot be read.") from None
    if upload_was_too_large(request):
        raise RequestDataTooBig(f"A file may be at most {MAX_MB} MB.")
    if len(files) != 1 or len(request.FILES) != 1:
        raise InvalidInput("file", "Send exactly one file, in the multipart field `file`.")
    return files[0]


def _created_out(principal: Principal, attachment: Attachment, name: str) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        name=name,
        content_type=attachment.content_type,
        size=attachment.size,
        created_at=attachment.created_at,
        uploaded_by=attachment.uploaded_by_id,
    )


def _replay_attachment(
    request: HttpRequest, resource_id: str, *, errand_id: str, **_: Any
) -> AttachmentOut:
    principal = principal_of(request)
    attachment = access_attachment(principal, errand_id, resource_id)
    return _created_out(principal, attachment, read_attachment_name(principal, attachment))


@router.post(
    "/{errand_id}/attachments",
    response=with_errors({201: AttachmentOut}),
    summary=f"Attach a photo, PDF or voice note (at most {MAX_MB} MB; owner and assignee)",
    openapi_extra={"requestBody": UPLOAD_BODY},
)
@idempotent(replay=_replay_attachment)
def upload_attachment(request: HttpRequest, errand_id: str) -> Status[Any]:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    upload = _single_file(request)
    attachment = do_attach_file(
        actor=principal.user,
        errand=errand,
        upload=upload,
        language=principal.user.language or getattr(request, "LANGUAGE_CODE", None),
    )
    return Status(
        201, _created_out(principal, attachment, read_attachment_name(principal, attachment))
    )


@router.get(
    "/{errand_id}/attachments",
    response=with_errors({200: list[AttachmentOut]}),
    summary="The errand's files, oldest first (owner and assignee)",
)
def list_attachments(request: HttpRequest, errand_id: str) -> list[AttachmentOut]:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    return [attachment_out(view) for view in read_attachments(principal, errand)]


def content_disposition(name: str) -> str:
    """`attachment`, with an ASCII fallback name and the real one per RFC 6266 / 5987."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The chunks for an ASGI server, one at a time: Django's ASGI handler would otherwise
    collect a synchronous iterator into one list (20 MB in memory per download)."""

    def following() -> bytes | None:
        return next(chunks, None)

    async def stream() -> AsyncIterator[bytes]:
        while True:
            chunk = await sync_to_async(following, thread_sensitive=False)()
            if chunk is None:
                return
            yield chunk

    return stream()


def file_response(
    request: HttpRequest, principal: Principal, attachment: Attachment
) -> StreamingHttpResponse:
    """The download: the vault opens it (a staff read is logged) before anything is sent."""
    name = read_attachment_name(principal, attachment)
    chunks = open_attachment(principal, attachment)
    content: Iterator[bytes] | AsyncIterator[bytes] = (
        _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    )
    response = StreamingHttpResponse(content, content_type=attachment.content_type)
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.get(
    "/{errand_id}/attachments/{attachment_id}",
    response=with_errors({200: Any}),
    summary="Download one file (owner and assignee; staff downloads are in the owner's access log)",
    openapi_extra={"responses": {200: DOWNLOAD_RESPONSE}},
)
def download_attachment(
    request: HttpRequest, errand_id: str, attachment_id: str
) -> StreamingHttpResponse:
    principal = principal_of(request)
    return file_response(request, principal, access_attachment(principal, errand_id, attachment_id))
