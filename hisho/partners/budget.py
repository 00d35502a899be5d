"""A partner's privacy budget: the ε they may spend per calendar month (policy.yaml
`partner_reports.epsilon_per_month`), in the service's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from hisho.partners.models import Release
from hisho.privacy.policy import current_policy

MILLI = Decimal("0.001")


def as_epsilon(value: float | Decimal | str) -> Decimal:
    return Decimal(str(value)).quantize(MILLI)


@dataclass(frozen=True)
class Budget:
    period: str  # "YYYY-MM"
    epsilon_total: Decimal
    epsilon_spent: Decimal

    @property
    def epsilon_left(self) -> Decimal:
        return max(self.epsilon_total - self.epsilon_spent, Decimal(0))


def month_of(moment: dt.datetime) -> tuple[dt.datetime, str]:
    local = timezone.localtime(moment)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, start.strftime("%Y-%m")


def budget_of(partner_id: int, *, now: dt.datetime | None = None) -> Budget:
    start, period = month_of(now or timezone.now())
    spent = Release.objects.filter(partner_id=partner_id, released_at__gte=start).aggregate(
        total=Sum("epsilon")
    )["total"]
    return Budget(
        period=period,
        epsilon_total=as_epsilon(current_policy().partner_reports.epsilon_per_month),
        epsilon_spent=as_epsilon(spent or 0),
    )
