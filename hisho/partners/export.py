"""What the partners area holds about the caller, in their export (hisho.privacy.export):
the partner offers they followed and the statistics they were counted in (policy.yaml:
`offer_clicks` and `statistics_contributions`, both read by the person)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hisho.accounts.models import Role
from hisho.accounts.principal import Principal
from hisho.partners.access import my_releases
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


def statistics_contributions_for_export(principal: Principal) -> list[dict[str, Any]]:
    """The releases the person was counted in, as My data lists them; ε as the public
    ledger writes it (a decimal string, not a float that would round it)."""
    if principal.role != Role.CUSTOMER:
        return []  # only customers' data is counted in partner statistics
    return [
        {
            "release_id": str(entry.id),
            "report": entry.report,
            "partner": entry.partner,
            "released_at": entry.released_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "epsilon": str(entry.epsilon),
        }
        for entry in my_releases(principal).releases
    ]
