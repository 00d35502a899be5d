"""Errands and their chat.

Content columns (title, details, the sealed_* fields, message bodies) are read only
through `hisho.desk.content`, which asks the access policy first. Staff triage uses
`summary`, a redacted copy made when the errand is created.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)
ACTIVE_ASSIGNED_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)


class Errand(models.Model):
    # Random ids: errand URLs reveal nothing about how many errands exist.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="errands"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_errands",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    summary = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Customer content: only through hisho.desk.content.
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True, default="")
    sealed_phone = models.CharField(max_length=64, blank=True, default="")
    sealed_address = models.TextField(blank=True, default="")
    sealed_note = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["customer", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"Errand {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Message(models.Model):
    errand = models.ForeignKey(Errand, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"Message {self.pk}"
