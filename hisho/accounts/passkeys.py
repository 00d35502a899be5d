"""A passkey's name is typed by its owner (web page or headless API) and kept by allauth in
the authenticator's JSON data — a text no action of Hisho's sees. Card numbers in it are
masked as the row is saved, whichever way it came (POLICY K9)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator

from hisho.dlp import mask_cards


def mask_passkey_name(sender: Any, instance: Authenticator, **_: Any) -> None:
    """pre_save: the name as it will be stored, card numbers masked (no write of its own)."""
    data = instance.data if isinstance(instance.data, dict) else None
    if data is None or not isinstance(data.get("name"), str):
        return
    masked = mask_cards(data["name"])
    if masked.cards_masked:
        data["name"] = masked.text


def connect() -> None:
    from django.db.models.signals import pre_save

    pre_save.connect(mask_passkey_name, sender=Authenticator, dispatch_uid="hisho.passkey_name")
