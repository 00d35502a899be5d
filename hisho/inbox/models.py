"""How far each participant has read each errand's chat: the unread counts of the lists.

One row per errand and person, holding the id of the last message they were shown (the
errand's page, the messages API, or a message delivered over the live socket). Ids only:
what was read is the messages', sealed where they are.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class ReadMarker(models.Model):
    errand = models.ForeignKey("desk.Errand", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["errand", "person"], name="inbox_one_marker")
        ]

    def __str__(self) -> str:
        return f"Read marker {self.pk}"
