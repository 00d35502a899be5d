"""One record per (person, Idempotency-Key): the request's keyed fingerprint and, once
answered, the status and the id of what it created. Never the body of either."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class State(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class IdempotencyRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # HMAC-SHA-256 (keyed with SECRET_KEY) of method, path and body: a short message
    # cannot be found again by hashing guesses.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    # Which try holds the claim; completing needs the same number (a fencing token).
    attempt = models.PositiveIntegerField(default=1)
    lease_until = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    resource_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")
        ]

    def __str__(self) -> str:
        return f"Idempotency record {self.pk}"
