"""Durations of the response-time clocks, written for people ("2 h 05 min")."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def business_duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes = max(int(seconds), 0) // 60
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
