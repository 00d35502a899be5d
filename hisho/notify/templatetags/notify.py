"""`{% notification_settings %}`: the profile page's notification checkboxes."""

from __future__ import annotations

from typing import Any

from django import template

from hisho.accounts.principal import principal_of
from hisho.notify.access import access_notification_prefs

register = template.Library()


@register.inclusion_tag("notify/settings.html", takes_context=True)
def notification_settings(context: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        "prefs": access_notification_prefs(principal_of(request)),
        "csrf_token": context.get("csrf_token"),
    }
