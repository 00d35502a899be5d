"""The key hierarchy below the master keys, and the access log customers see.

master key (keyring file or KMS, never in the database)
  └─ CustomerKey: one per person, wrapped by a master key; rotation re-keys it in place
       └─ DataKey: one per errand (and one for the person's profile), wrapped by the
          customer key; content is sealed under it and names it by id.

Key rows hold only wrapped keys; without the master keys they are random bytes.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKey(models.Model):
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Rotation replaces the key and increments the version; data keys name the version
    # they are wrapped under.
    version = models.PositiveIntegerField(default=1)
    master_key_id = models.CharField(max_length=32, blank=True, db_index=True)
    # None once shredded: everything sealed for this customer is then unreadable.
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Customer key of user {self.pk}"


class KeyScope(models.TextChoices):
    ERRAND = "errand", "Errand"
    PROFILE = "profile", "Profile"


class DataKey(models.Model):
    # The key id every sealed value carries in its header.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    scope = models.CharField(max_length=16, choices=KeyScope.choices)
    scope_id = models.CharField(max_length=64)
    customer_key_version = models.PositiveIntegerField()
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["scope", "scope_id"], name="vault_one_key_per_scope")
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["customer"], name="vault_datakey_customer_idx")
        ]

    def __str__(self) -> str:
        return f"Data key {self.pk}"


class AccessAction(models.TextChoices):
    READ_ERRAND = "read_errand", _("Read the errand's title and details")
    READ_SEALED = "read_sealed", _("Read the sealed details (phone, address, note)")
    READ_MESSAGES = "read_messages", _("Read the chat")
    READ_NOTES = "read_notes", _("Read the assistant's internal notes on your errand")
    READ_FILES = "read_files", _("Saw the files attached to the errand")
    # Not reads: who was given the errand (and so may open it), and who lost it.
    ASSIGNED = "assigned", _("Was given your errand and may open it")
    ACCEPTED = "accepted", _("Was accepted by you and may open your errand")
    UNASSIGNED = "unassigned", _("No longer handles your errand")


class AccessLogEntry(models.Model):
    """Staff unsealed a customer's data: who, in which role, what, when, which errand.

    One entry per reader and errand per request (hisho/vault/reads.py): an errand page
    that shows the text, the sealed details and 100 messages is one entry whose `kinds`
    lists the three; `action` is the first of them.
    """

    at = models.DateTimeField(auto_now_add=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # As they were at the time of reading: names and roles change.
    actor_name = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=16)
    action = models.CharField(max_length=32, choices=AccessAction.choices)
    # Every kind of read of this entry, comma-separated, in the order they happened.
    kinds = models.CharField(max_length=200, default="")
    errand_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["customer", "-at"], name="vault_accesslog_customer_idx")
        ]

    def __str__(self) -> str:
        return f"Access {self.pk}"

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in (self.kinds or self.action).split(",") if kind]

    @property
    def kind_labels(self) -> list[str]:
        labels = dict(AccessAction.choices)
        return [str(labels.get(kind, kind)) for kind in self.kind_list]
