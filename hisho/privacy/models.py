"""What the privacy center records (docs/privacy.md).

- `ConsentRecord`: every grant and withdrawal, appended, never edited; the latest record
  of a purpose is the person's answer — if it was given for the purpose as the policy
  defines it now (its `fingerprint`); otherwise nothing is assumed.
- `PolicyVersion` / `PolicyAcknowledgement`: published versions of policy.yaml, each with
  a copy of the whole document, and who has read which.
- `Disclosure`: each time personal data left Hisho, to which declared recipient, what and
  why (hisho.privacy.recipients writes them; "My data" shows them).
- `ConnectionRecord`: request metadata (POLICY K3), with retention
  (hisho.privacy.actions.retention).
- `PageCount`: consented, aggregated page counts — no person, no address, no cookie.
- `ContactRequest`: that someone wrote to the privacy contact (the text is not stored).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConsentHow(models.TextChoices):
    WEB_FORM = "web_form", _("Consent settings page")
    API = "api", _("App or API")
    COOKIE_BANNER = "cookie_banner", _("Cookie banner")
    COOKIE_SETTINGS = "cookie_settings", _("Cookie settings page")
    POLICY_NOTICE = "policy_notice", _("Policy change notice")
    GPC = "gpc", _("Global Privacy Control signal")
    EMAIL_LINK = "email_link", _("Confirmation link in an e-mail")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link in an e-mail")
    BOUNCE = "bounce", _("The address bounced or complained")


class ConsentRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=64)
    granted = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)
    # The policy version in force when it was given (None: before any was published).
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    how = models.CharField(max_length=32, choices=ConsentHow.choices)
    # Policy.purpose_fingerprint() at the time: what exactly was consented to.
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "purpose", "-at"], name="privacy_consent_user_idx")
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk}"


class ConsentConfirmation(models.Model):
    """A grant of a purpose with `confirm: email` (double opt-in), waiting for the person
    to follow the signed link e-mailed to them. Only following it records the consent."""

    # Random: the signed link carries this id, never the person's.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=64)
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Policy.purpose_fingerprint() when asked: a link for an older definition is void.
    fingerprint = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Superseded by a withdrawal or a newer request: the link no longer works.
    void = models.BooleanField(default=False)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "purpose"], name="privacy_confirmation_user_idx")
        ]

    def __str__(self) -> str:
        return f"Consent confirmation {self.pk}"


class PolicyVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changes_en = models.TextField()
    changes_ja = models.TextField()
    # The whole policy.yaml as published, and the SHA-256 of its canonical JSON.
    document = models.JSONField()
    digest = models.CharField(max_length=64)
    # Consent purposes that are new in this version or serve more than before: earlier
    # answers do not count for them.
    renewed_purposes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-number"]

    def __str__(self) -> str:
        return f"Policy version {self.number}"

    def changes(self, language: str | None) -> str:
        return self.changes_ja if (language or "")[:2] == "ja" else self.changes_en


class AcknowledgedHow(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("App or API")


class PolicyAcknowledgement(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    how = models.CharField(max_length=8, choices=AcknowledgedHow.choices)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "version"], name="privacy_one_ack_per_version")
        ]

    def __str__(self) -> str:
        return f"Acknowledgement {self.pk}"


class Disclosure(models.Model):
    """Personal data of `subject` went to a recipient declared in policy.yaml."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.CharField(max_length=64)
    purpose = models.CharField(max_length=64)
    # The data kinds (policy.yaml `data` keys) that were sent.
    data = models.JSONField(default=list)
    # What it was about, by id only ("policy_version:3", "contact:<uuid>", …).
    reference = models.CharField(max_length=80, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["subject", "-at"], name="privacy_disclosure_subject_idx")
        ]

    def __str__(self) -> str:
        return f"Disclosure {self.pk}"


class ConnectionRecord(models.Model):
    """One request: when, from which address and browser, which route (its pattern, never
    the path, which can hold ids of people's errands), and how it ended."""

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    # True once the address was cut to its /24 (IPv4) or /48 (IPv6) network.
    ip_truncated = models.BooleanField(default=False)
    user_agent = models.CharField(max_length=256, blank=True, default="")
    route = models.CharField(max_length=200, blank=True, default="")
    method = models.CharField(max_length=8)
    status = models.PositiveSmallIntegerField()

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["at"], name="privacy_connection_at_idx"),
            models.Index(fields=["user", "-at"], name="privacy_connection_user_idx"),
        ]

    def __str__(self) -> str:
        return f"Connection {self.pk}"


class PageCount(models.Model):
    """How many consenting visits a page (route) had on a day. Nothing about anyone."""

    day = models.DateField()
    route = models.CharField(max_length=200)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["day", "route"], name="privacy_one_count_per_page_day")
        ]

    def __str__(self) -> str:
        return f"Page count {self.pk}"


class ContactTopic(models.TextChoices):
    QUESTION = "question", _("A question about this policy")
    MY_DATA = "my_data", _("My data (access, correction, erasure)")
    CONCERN = "concern", _("A concern or complaint")


class ContactRequest(models.Model):
    """Someone wrote to the privacy contact. The message itself went to the privacy
    contact's mailbox (a declared recipient) and is not kept here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    topic = models.CharField(max_length=16, choices=ContactTopic.choices)
    cards_masked = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Contact request {self.pk}"
