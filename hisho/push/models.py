"""A browser's push subscription: where its push service takes messages for it and the
keys the payload is encrypted to (RFC 8030, RFC 8291). Personal data (policy.yaml,
`push_subscriptions`): exported, and deleted with the account."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

ENDPOINT_MAX = 1000


class PushSubscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # The push service's URL for one browser (checked against HISHO_PUSH_SERVICES).
    endpoint = models.CharField(max_length=ENDPOINT_MAX)
    # The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url.
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=32)
    # The sign-in that turned pushes on (allauth's row for a browser session or an app
    # token). Pushes go to a device while that sign-in lasts: signing out there, "sign out
    # everywhere" (a lost phone) or a password change ends them (hisho/push/send.py), and
    # the row goes with the sign-in's. None: subscribed before sign-ins were recorded —
    # never pushed to, dropped at the next push.
    device = models.ForeignKey(
        "usersessions.UserSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "endpoint"], name="push_one_per_endpoint")
        ]

    def __str__(self) -> str:
        return f"push subscription {self.pk}"
