"""The data behind each report of the catalogue (policy.yaml `partner_reports`): for every
person, the groups their data falls in. Only hisho.partners.actions calls these, inside
the action that releases a report; nothing here leaves Hisho except through
hisho.partners.dp."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from django.utils import timezone

from hisho.accounts.models import Role, User
from hisho.desk.models import Errand
from hisho.partners.models import OfferClick

UNKNOWN = "unknown"
Contributions = dict[int, list[tuple[str, ...]]]


def age_band(birth_year: int | None, today: dt.date) -> str:
    if not birth_year or birth_year > today.year:
        return UNKNOWN
    low = (today.year - birth_year) // 10 * 10
    return f"{low}-{low + 9}"


def customer_profile(partner: User) -> Contributions:
    today = timezone.now().date()
    out: Contributions = {}
    rows = User.objects.filter(role=Role.CUSTOMER, is_active=True).values_list(
        "pk", "country", "language", "birth_year"
    )
    for pk, country, language, birth_year in rows.iterator(chunk_size=5000):
        if not (country or language or birth_year):
            continue  # nothing given: nothing to count
        out[pk] = [
            (
                (country or UNKNOWN).upper() if country else UNKNOWN,
                (language or UNKNOWN).lower()[:8],
                age_band(birth_year, today),
            )
        ]
    return out


def errand_categories(partner: User) -> Contributions:
    out: Contributions = defaultdict(list)
    rows = (
        Errand.objects.filter(customer__isnull=False)
        .order_by("created_at")
        .values_list("customer_id", "category", "created_at")
    )
    for customer_id, category, created_at in rows.iterator(chunk_size=5000):
        out[customer_id].append((category, created_at.astimezone(dt.UTC).strftime("%Y-%m")))
    return dict(out)


def offer_clicks(partner: User) -> Contributions:
    """Clicks on the requesting partner's own offers only."""
    out: Contributions = defaultdict(list)
    rows = (
        OfferClick.objects.filter(offer__partner=partner)
        .order_by("at")
        .values_list("person_id", "offer_id")
    )
    for person_id, offer_id in rows.iterator(chunk_size=5000):
        out[person_id].append((str(offer_id),))
    return dict(out)


SOURCES: dict[str, Callable[[User], Contributions]] = {
    "customer_profile": customer_profile,
    "errand_categories": errand_categories,
    "offer_clicks": offer_clicks,
}
