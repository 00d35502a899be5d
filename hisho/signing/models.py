"""Hisho's Ed25519 signing keys (docs/audit.md, "Signing").

The private half is stored only wrapped under the vault's active master key (AES-256-GCM,
bound to the key id); the public half is published at
`/.well-known/hisho-signing-keys.json`, retired keys included, so anything ever signed
stays verifiable after a rotation.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q


class SigningKey(models.Model):
    key_id = models.CharField(max_length=32, primary_key=True)
    # Raw 32-byte Ed25519 public key.
    public_key = models.BinaryField()
    # Raw 32-byte private key, wrapped by master key `master_key_id` (hisho.signing.wrapping).
    master_key_id = models.CharField(max_length=32, db_index=True)
    wrapped_private_key = models.BinaryField()
    # Exactly one key signs at a time; retired keys only verify.
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "key_id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="signing_one_active_key"
            )
        ]

    def __str__(self) -> str:
        return f"Signing key {self.key_id}"
