"""Uploads stop at the size limit while they stream in (docs/attachments.md).

Django keeps any uploaded file, however big, in a temporary file; this handler, first in
settings.FILE_UPLOAD_HANDLERS, stops the parse as soon as a request declares a body, or a
file grows, beyond HISHO_ATTACHMENT_MAX_BYTES: nothing more is buffered, the file is not
handed to any view, and the request is marked so the endpoint answers 413.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the multipart framing and the small fields around the file (a CSRF token).
FRAMING_BYTES = 64 * 1024
MARK = "hisho_upload_too_large"


def upload_was_too_large(request: Any) -> bool:
    return bool(getattr(request, MARK, False))


class BoundedUploadHandler(FileUploadHandler):
    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        self.declared = content_length
        return None

    def _stop(self) -> None:
        if self.request is not None:
            setattr(self.request, MARK, True)
        raise StopUpload(connection_reset=False)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        limit = settings.HISHO_ATTACHMENT_MAX_BYTES
        if getattr(self, "declared", 0) > limit + FRAMING_BYTES:
            self._stop()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.HISHO_ATTACHMENT_MAX_BYTES:
            self._stop()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file
