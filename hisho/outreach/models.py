"""What outreach records (docs/outreach.md).

- `Campaign`: a newsletter or a survey, in English and Japanese, written by an admin.
- `Delivery`: one person's copy of a campaign — the list of recipients fixed when the
  send starts, and where each copy is (pending → handing_over → sent, or skipped / failed /
  unconfirmed). Its random id is what the unsubscribe and survey links carry (signed).
- `SurveyAnswer`: one answer to one question, linked to the campaign only — never to the
  person or their delivery, and with a random id, so no answer can be put next to a name
  or next to the same person's other answers.
- `Suppression`: an address that bounced hard or complained, kept as a keyed digest.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class CampaignKind(models.TextChoices):
    NEWSLETTER = "newsletter", "Newsletter"
    SURVEY = "survey", "Survey"


# The consent purpose (policy.yaml) and the declared processor of each kind.
PURPOSE_OF = {CampaignKind.NEWSLETTER: "newsletters", CampaignKind.SURVEY: "surveys"}
PROCESSOR_OF = {
    CampaignKind.NEWSLETTER: "newsletter_service",
    CampaignKind.SURVEY: "survey_service",
}


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"


class Campaign(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=CampaignKind.choices)
    subject_en = models.CharField(max_length=200)
    subject_ja = models.CharField(max_length=200)
    body_en = models.TextField()
    body_ja = models.TextField()
    # Survey questions: [{"kind": "choice"|"scale"|"text", "text": {en, ja}, …}]
    questions = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    send_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Each (re)start of the send is one attempt; a batch of an older attempt stops.
    attempt = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"Campaign {self.pk}"

    @property
    def purpose(self) -> str:
        return PURPOSE_OF[CampaignKind(self.kind)]

    @property
    def processor(self) -> str:
        return PROCESSOR_OF[CampaignKind(self.kind)]

    def subject(self, language: str | None) -> str:
        return self.subject_ja if (language or "")[:2] == "ja" else self.subject_en

    def body(self, language: str | None) -> str:
        return self.body_ja if (language or "")[:2] == "ja" else self.body_en


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    HANDING_OVER = "handing_over", "Being handed to the processor"
    SENT = "sent", "Handed to the processor"
    SKIPPED = "skipped", "Not sent: consent withdrawn, address suppressed or account closed"
    FAILED = "failed", "Refused by the relay"
    # A send was interrupted between handing the message over and recording it: it may
    # have gone out, so it is never sent again (nobody gets a copy twice).
    UNCONFIRMED = "unconfirmed", "Interrupted: perhaps sent, never retried"


class Delivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(null=True, blank=True)
    answered = models.BooleanField(default=False)
    # The order deliveries are sent in (batches claim the lowest first).
    seq = models.PositiveIntegerField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["campaign", "person"], name="outreach_one_copy_each")
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["campaign", "status", "seq"], name="outreach_delivery_queue_idx"),
            models.Index(fields=["person"], name="outreach_delivery_person_idx"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk}"


class SurveyAnswer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="answers")
    question = models.PositiveSmallIntegerField()
    choice = models.PositiveSmallIntegerField(null=True, blank=True)
    value = models.SmallIntegerField(null=True, blank=True)
    # Free text, DLP-redacted of every kind of personal data it names (hisho.dlp).
    text = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"Survey answer {self.pk}"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", "Hard bounce"
    COMPLAINT = "complaint", "Complaint"


class Suppression(models.Model):
    """Nothing more is sent to this address. HMAC-SHA256 of the normalised address under
    a key derived from SECRET_KEY: the list does not spell out anyone's address."""

    address_digest = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Suppression {self.pk}"
