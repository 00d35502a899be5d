"""Legal disclosure cases (promise K11): a request from an authority, approved by a
second admin, exported as a signed bundle of exactly the scoped data, and told to the
person (now, or when a documented deferral expires). docs/audit.md, "Legal disclosure".

The free text of a case (authority, legal basis, reference, reasons) lives here, seen by
admins only; the audit log records the case by id.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Awaiting a second admin's approval")
    APPROVED = "approved", _("Approved: the export may be produced")
    DISCLOSED = "disclosed", _("Disclosed: the export was produced")
    REJECTED = "rejected", _("Rejected")


class Category(models.TextChoices):
    PROFILE = "profile", _("Profile")
    ERRANDS = "errands", _("Errands")
    MESSAGES = "messages", _("Messages")


class DisclosureCase(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)

    # The request.
    authority = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=500)
    reference = models.CharField(max_length=100)
    deadline = models.DateField()
    # The scope: whose data, which categories, which period (dates inclusive, in TIME_ZONE).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    categories = models.JSONField(default=list)
    period_start = models.DateField()
    period_end = models.DateField()

    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, default="")

    exported_at = models.DateTimeField(null=True, blank=True)
    export_count = models.PositiveIntegerField(default=0)
    # SHA-256 of the last signed bundle's canonical JSON (the bundle itself is not kept).
    bundle_sha256 = models.CharField(max_length=64, blank=True, default="")
    # The policy.yaml data kinds the bundle held (recorded as the person's disclosure once
    # they are told).
    disclosed_kinds = models.JSONField(default=list, blank=True)

    # Notice to the person: sent once disclosed, unless deferred until `notify_after`.
    notify_after = models.DateTimeField(null=True, blank=True)
    deferral_reason = models.TextField(blank=True, default="")
    deferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    deferred_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-opened_at"]

    def __str__(self) -> str:
        return f"Disclosure case {self.pk}"


class DisclosureGrant(models.Model):
    """What lets the vault unseal the person's data for an approved case's export: bound
    to the case and the person, valid from approval for HISHO_LEGAL_GRANT_HOURS."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The person is the case's: a grant covers nobody else.
    case = models.OneToOneField(DisclosureCase, on_delete=models.CASCADE, related_name="grant")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Disclosure grant {self.pk}"


class DisclosureRead(models.Model):
    """One unseal under a grant: the access-log entry it wrote, withheld from the person
    until their notice goes out."""

    case = models.ForeignKey(DisclosureCase, on_delete=models.CASCADE, related_name="reads")
    access_entry = models.OneToOneField(
        "vault.AccessLogEntry", on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self) -> str:
        return f"Disclosure read {self.pk}"
