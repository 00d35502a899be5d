"""People and their roles.

E-mail is the only identifier Hisho needs; every other field is optional and given
voluntarily (promise K1). The phone number and mailing address are stored only as
ciphertext (`sealed_phone`, `sealed_mailing_address`, sealed by the vault under the
person's own key) and read only through `hisho.accounts.access.read_profile`.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    ASSISTANT = "assistant", _("Assistant")
    ADMIN = "admin", _("Admin")
    PARTNER = "partner", _("Partner")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    email = models.EmailField("e-mail address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)

    # Optional profile (K1): every field may stay empty.
    name = models.CharField(max_length=150, blank=True, default="")
    sealed_phone = models.BinaryField(null=True)
    sealed_mailing_address = models.BinaryField(null=True)
    country = models.CharField(max_length=2, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="")
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # An IANA time zone name (hisho/zones.py); empty: Hisho's own, Asia/Tokyo.
    time_zone = models.CharField(max_length=64, blank=True, default="")
    # "Ask me before a new assistant can read my errand": an assignee sees only the triage
    # card until the customer accepts them (hisho/desk/actions.py).
    approve_assignees = models.BooleanField(default=False)

    # How many card numbers DLP masked in the last profile update, in memory only (never
    # saved): the person is told that card numbers are not stored.
    cards_masked: int = 0

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        # Never the e-mail: objects end up in logs and tracebacks (house rule 5).
        return f"User {self.pk}"

    @property
    def display_name(self) -> str:
        """What other people see: the chosen name, else the role and number."""
        return self.name or f"{self.get_role_display()} #{self.pk}"

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_assistant(self) -> bool:
        return self.role == Role.ASSISTANT

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER


def user_display(user: User) -> str:
    """How allauth names a person in its pages and API (never the e-mail)."""
    return user.display_name


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second admin")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class RoleGrant(models.Model):
    """One admin's request to give a person a staff or partner role (DESIGN rule 11): it
    takes effect only when a *different* admin, with a passed second factor, approves it,
    within `GRANT_DAYS` days (hisho/accounts/roles.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=16, choices=Role.choices)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-requested_at"]

    def __str__(self) -> str:
        return f"Role grant {self.pk}"

    def current_status(self, now: Any) -> str:
        """The status as of `now`: a pending grant past its time has expired."""
        if self.status == GrantStatus.PENDING and now >= self.expires_at:
            return GrantStatus.EXPIRED.value
        return str(self.status)
