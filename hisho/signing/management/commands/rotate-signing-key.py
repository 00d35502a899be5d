"""`hisho rotate-signing-key`: a new Ed25519 key signs from now on; the old one stays
published for verification. Prints key ids only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hisho.signing.actions import do_rotate_signing_key


class Command(BaseCommand):
    help = "Rotate the signing key (the retired key stays published for verification)."

    def handle(self, *args: Any, **options: Any) -> None:
        row = do_rotate_signing_key(actor=None)
        self.stdout.write(f"New active signing key {row.key_id}.")
