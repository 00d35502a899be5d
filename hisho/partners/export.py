"""What the partners area holds about the caller, in their export (hisho.privacy.export):
the partner offers they followed (policy.yaml: `offer_clicks`, read by the person)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hisho.accounts.principal import Principal
from hisho.partners.models import OfferClick


def offer_clicks_for_export(principal: Principal) -> list[dict[str, Any]]:
    clicks = (
        OfferClick.objects.filter(person_id=principal.pk).select_related("offer").order_by("at")
    )
    return [
        {
            "offer_id": str(click.offer_id),
            "title": click.offer.title,
            "url": click.offer.url,
            "at": click.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        for click in clicks
    ]
