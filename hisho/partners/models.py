"""Partners' data (POLICY O4, O6): differentially private releases and offers.

A `Release` holds only noisy counts over groups of at least the report's minimum size,
signed; `ReleaseContribution` remembers whose data each release counted, so each person
sees on "My data" the releases about them and the privacy loss (ε) they cost. Partners
never read contributions (hisho/partners/access.py).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class Release(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.CharField(max_length=64)  # a report key of policy.yaml
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    released_at = models.DateTimeField(db_index=True)
    epsilon = models.DecimalField(max_digits=6, decimal_places=3)
    # The signed document: {"payload": {type, id, report, released_at, epsilon, delta,
    # min_group_size, max_contributions, rows}, "signature": {...}} (hisho.signing).
    signed = models.JSONField()

    class Meta:
        ordering: ClassVar[list[str]] = ["-released_at"]

    def __str__(self) -> str:
        return f"Release {self.pk}"


class ReleaseContribution(models.Model):
    """One person's data was counted in one release (read by that person only)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["person", "release"], name="one_contribution_each")
        ]

    def __str__(self) -> str:
        return f"Contribution {self.pk}"


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Offer(models.Model):
    """A partner's advertisement: shown, labelled "Ad", only once an admin approved it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=1000)
    url = models.URLField(max_length=500)
    categories = models.JSONField(default=list)  # errand category keys of policy.yaml
    language = models.CharField(max_length=8)
    status = models.CharField(
        max_length=16, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"Offer {self.pk}"


class OfferClick(models.Model):
    """A signed-in person followed an offer (once per person and offer): counted for the
    partner only in a differentially private release."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["offer", "person"], name="one_click_per_offer")
        ]

    def __str__(self) -> str:
        return f"Offer click {self.pk}"
