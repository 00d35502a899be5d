"""`{% offers %}`: the approved partner offers for the current visitor, labelled as ads
(POLICY O6), on the pages the operator enables (settings.HISHO_OFFER_PAGES)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from hisho.accounts.principal import Principal
from hisho.partners.access import offers_for

register = template.Library()


@register.inclusion_tag("partners/_offers.html", takes_context=True)
def offers(context: Any, page: str) -> dict[str, Any]:
    request = context.get("request")
    if request is None or page not in getattr(settings, "HISHO_OFFER_PAGES", ()):
        return {"offers": []}
    principal = getattr(request, "principal", None)
    language = "ja" if str(getattr(request, "LANGUAGE_CODE", "en"))[:2] == "ja" else "en"
    return {
        "offers": offers_for(principal if isinstance(principal, Principal) else None),
        "language": language,
    }
