"""Notification preferences and the e-mail throttle (docs/notifications.md). Flags, ids
and times only: nothing here says what happened on an errand."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class NotificationPrefs(models.Model):
    """How a person wants to hear about their errands. No row: the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_prefs",
    )
    email = models.BooleanField(default=True)
    # Web Push to the devices the person subscribed (issue 17, item 4): a subscription
    # is itself the person's choice, so on by default.
    push = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notification preferences of user {self.pk}"


class EmailNotice(models.Model):
    """When `user` was last e-mailed about `errand`: at most one e-mail per errand per
    person per THROTTLE (hisho.notify.tasks)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    errand = models.ForeignKey("desk.Errand", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "errand"], name="one_notice_row_per_errand")
        ]

    def __str__(self) -> str:
        return f"E-mail notice {self.pk}"
