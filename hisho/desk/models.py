"""Errands and their chat.

Customer content (title, details, phone, address, note, message bodies) is stored only
as ciphertext in the `sealed_*` columns, sealed by the vault under the errand's data
key and bound to its table, row and field; it is read only through
`hisho.desk.content`, which has the vault ask the access policy first.

Triage (admins choosing an assistant, the assistants' queue) sees only the *triage card*
(hisho/desk/triage.py): the errand's `category` (declared in policy.yaml) and an
optional note the customer wrote for coordinators, DLP-redacted and sealed under the same
key (so a stolen database shows none of it, and shredding covers it) — never anything
derived from the title, details, sealed fields or messages.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


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
    # False while a customer who asked to approve new assistants has not accepted this
    # assignee: until then the assignee sees only the triage card.
    assignee_accepted = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What triage sees: a category key of policy.yaml's `errand_categories`, and the note
    # for coordinators (sealed; NULL when none was written).
    category = models.CharField(max_length=32, default="other")
    sealed_triage_note = models.BinaryField(null=True)

    # Ciphertext (hisho.vault): customer content only through hisho.desk.content; NULL
    # where nothing was given.
    sealed_title = models.BinaryField()
    sealed_details = models.BinaryField(null=True)
    sealed_phone = models.BinaryField(null=True)
    sealed_address = models.BinaryField(null=True)
    sealed_note = models.BinaryField(null=True)

    # When the customer confirmed a done errand (hisho/desk/actions.py:do_confirm_done);
    # NULL until then. A confirmed errand is closed: it cannot be reopened.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    # How many card numbers DLP masked when it was created, in memory only (never saved):
    # the customer is told that card numbers are not stored.
    cards_masked: int = 0

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

    @property
    def summary(self) -> str:
        """The triage summary: category and coordinators' note only (hisho/desk/triage.py)."""
        from hisho.desk.triage import triage_summary

        return triage_summary(self)


class Message(models.Model):
    errand = models.ForeignKey(Errand, on_delete=models.CASCADE, related_name="messages")
    # Known before the insert, so the body's ciphertext can be bound to its row; the
    # integer id stays the message's public id (clients page with `after=<id>`).
    seal_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sealed_body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    # The plaintext its author just posted, on the instance do_post_message returns only
    # (never saved): the reply to the post needs no second decryption.
    posted_body: str | None = None
    # How many card numbers DLP masked in it, likewise in memory only: the sender is told.
    cards_masked: int = 0

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"Message {self.pk}"


# --- Assistant tools and customer feedback (issue 18; hisho/desk/tools/, docs/desk.md) --------


class Label(models.Model):
    """A label from the admin-defined list. Errands store label ids only (no free text on
    an errand); the names are admin text, passed through DLP before they are stored."""

    name_en = models.CharField(max_length=40)
    name_ja = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"Label {self.pk}"

    def name_in(self, language: str | None) -> str:
        return self.name_ja if (language or "").startswith("ja") else self.name_en


class ErrandLabel(models.Model):
    """A label set on an errand by the assistant who holds it: two ids."""

    errand = models.ForeignKey(Errand, on_delete=models.CASCADE, related_name="label_links")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["errand", "label"], name="desk_one_label_per_errand")
        ]

    def __str__(self) -> str:
        return f"Label {self.label_id} on errand {self.errand_id}"


class CannedReply(models.Model):
    """A reply text admins write for assistants, in English and Japanese, with
    placeholders such as {customer_name} (hisho/desk/tools/canned.py)."""

    title = models.CharField(max_length=80)
    body_en = models.TextField()
    body_ja = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"Canned reply {self.pk}"


class InternalNote(models.Model):
    """A note the current assignee keeps on an errand: sealed under the errand's key,
    readable by the current assignee only (and by the customer in their export)."""

    errand = models.ForeignKey(Errand, on_delete=models.CASCADE, related_name="internal_notes")
    seal_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sealed_body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    posted_body: str | None = None  # in memory only, for the reply to the post
    cards_masked: int = 0

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"Internal note {self.pk}"


class Rating(models.Model):
    """The customer's 1–5 rating of a done errand, one per errand (they may change it);
    the optional comment is sealed and opens for the customer alone."""

    errand = models.OneToOneField(Errand, on_delete=models.CASCADE, related_name="rating")
    # Who handled the errand when it was rated: the averages are per assistant.
    assistant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    stars = models.PositiveSmallIntegerField()
    sealed_comment = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    cards_masked: int = 0

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="desk_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"Rating {self.pk}"


class RatingAverage(models.Model):
    """What admins and the assistant see of the assistant's ratings: the count and the sum
    of stars as they stood at the last snapshot. A snapshot is taken once `pending` — the
    ratings given *or changed* since — reaches MIN_RATINGS (`hisho.desk.tools.actions`).
    Computing the average live gave away one customer's change of rating: the average
    moved by exactly the stars they took back or added, at the time the audit log shows
    their `errand.rating_changed`."""

    assistant = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    ratings = models.PositiveIntegerField(default=0)
    total_stars = models.PositiveIntegerField(default=0)
    pending = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Rating average of {self.assistant_id}"
