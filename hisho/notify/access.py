"""Reads of hisho.notify (house rule 2): a person's own preferences only."""

from __future__ import annotations

from hisho.accounts.principal import Principal, as_principal
from hisho.notify.models import NotificationPrefs


def access_notification_prefs(principal: Principal) -> NotificationPrefs:
    """The caller's own preferences (the defaults, unsaved, if never set)."""
    principal = as_principal(principal)
    prefs = NotificationPrefs.objects.filter(user=principal.user).first()
    return prefs if prefs is not None else NotificationPrefs(user=principal.user)


def email_wanted(user_id: int) -> bool:
    """Whether a person wants e-mail about their errands (the system asking, for a
    notice about to be sent to that person alone)."""
    prefs = NotificationPrefs.objects.filter(user_id=user_id).first()
    return True if prefs is None else prefs.email


def push_wanted(user_ids: list[int]) -> list[int]:
    """Those of these people who did not turn push off (no row: the default, on)."""
    off = set(
        NotificationPrefs.objects.filter(user_id__in=user_ids, push=False).values_list(
            "user_id", flat=True
        )
    )
    return [user_id for user_id in user_ids if user_id not in off]
