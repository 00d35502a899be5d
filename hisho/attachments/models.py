"""Files attached to an errand: photos, PDFs and voice notes.

The row holds only what the list needs in the clear — the type Hisho decided from the
content, the size, who uploaded it and when — and the file's name as ciphertext
(`sealed_name`, under the errand's data key like every other errand field). The file
itself is in the attachments storage (settings.STORAGES["attachments"]) as a sealed
stream (hisho/vault/files.py) bound to this row's id: without the errand's key, which
crypto-shredding destroys, neither name nor content opens.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What Hisho accepts, by the type it stores (decided from the content, never from
    the name or the client's Content-Type; HEIC photos are re-encoded as JPEG)."""

    JPEG = "image/jpeg", _("Photo")
    PNG = "image/png", _("Image")
    WEBP = "image/webp", _("Image")
    PDF = "application/pdf", _("PDF document")
    MP4_AUDIO = "audio/mp4", _("Voice note")
    OGG_AUDIO = "audio/ogg", _("Voice note")
    WEBM_AUDIO = "audio/webm", _("Voice note")
    MPEG_AUDIO = "audio/mpeg", _("Voice note")


class Attachment(models.Model):
    # Random ids: known before the insert, so the name and the file are bound to the row.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    errand = models.ForeignKey("desk.Errand", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    content_type = models.CharField(max_length=32, choices=Kind.choices)
    # Bytes of the stored (re-encoded) file, before sealing.
    size = models.PositiveIntegerField()
    # The file name the person gave, cleaned and DLP-checked, as ciphertext.
    sealed_name = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["errand", "created_at"], name="attachments_errand_idx")
        ]

    def __str__(self) -> str:
        return f"Attachment {self.pk}"

    @property
    def storage_name(self) -> str:
        """Where its sealed stream is: by errand, then by id (no name, no type)."""
        return f"{self.errand_id}/{self.pk}.sealed"
