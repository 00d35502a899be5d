"""Response-time clocks, computed from metadata only: message times and authors, the
errand's creation time and status. No content is opened to compute them (a test patches
the vault's opener to fail).

- *first response*: from the errand's creation to the first message by anyone but the
  customer (the assistant);
- *next response*: from a customer message that follows an answer to the next answer;
- the clock runs only while the customer waits: after an answer it is paused until the
  customer writes again ("waiting on the customer"), and a done or cancelled errand has
  no running clock.
All durations count business hours only (hisho/desk/hours.py: Japanese business days by
default, national holidays closed).
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from hisho.desk.hours import BusinessHours
from hisho.desk.models import OPEN_STATUSES, Errand, Message

WAITING_ON_ASSISTANT = "waiting_on_assistant"
WAITING_ON_CUSTOMER = "waiting_on_customer"
CLOSED = "closed"


@dataclass(frozen=True)
class Clocks:
    state: str
    first_response_seconds: int | None = None
    next_response_seconds: tuple[int, ...] = ()
    # While the customer waits: since when, and the business seconds so far.
    waiting_since: dt.datetime | None = None
    waiting_seconds: int | None = None

    @property
    def next_response_mean_seconds(self) -> int | None:
        values = self.next_response_seconds
        return int(statistics.fmean(values)) if values else None


def business_hours() -> BusinessHours:
    hours: BusinessHours = settings.HISHO_BUSINESS_HOURS
    return hours


def compute(
    *,
    created_at: dt.datetime,
    customer_id: int,
    status: str,
    messages: Iterable[tuple[dt.datetime, int | None]],
    now: dt.datetime,
    hours: BusinessHours,
) -> Clocks:
    """The clocks of one errand from (time, author id) of its messages, oldest first."""
    first: int | None = None
    answers: list[int] = []
    waiting_since: dt.datetime | None = created_at  # the customer waits from the start
    for at, author_id in messages:
        if author_id == customer_id:
            if waiting_since is None:
                waiting_since = at  # a new turn: the clock runs again
            continue
        if waiting_since is not None:  # an answer (an erased staff account's too)
            took = hours.seconds_between(waiting_since, at)
            if first is None:
                first = took
            else:
                answers.append(took)
            waiting_since = None
    if status not in OPEN_STATUSES:
        return Clocks(CLOSED, first, tuple(answers))
    if waiting_since is None:
        return Clocks(WAITING_ON_CUSTOMER, first, tuple(answers))
    return Clocks(
        WAITING_ON_ASSISTANT,
        first,
        tuple(answers),
        waiting_since=waiting_since,
        waiting_seconds=hours.seconds_between(waiting_since, now),
    )


def clocks_for(
    errands: Sequence[Errand], *, now: dt.datetime | None = None
) -> dict[uuid.UUID, Clocks]:
    """The clocks of many errands with one query (message times and authors only)."""
    now = now or timezone.now()
    hours = business_hours()
    timeline: dict[uuid.UUID, list[tuple[dt.datetime, int | None]]] = defaultdict(list)
    rows = (
        Message.objects.filter(errand_id__in=[e.pk for e in errands])
        .order_by("errand_id", "id")
        .values_list("errand_id", "created_at", "author_id")
    )
    for errand_id, at, author_id in rows:
        timeline[errand_id].append((at, author_id))
    return {
        e.pk: compute(
            created_at=e.created_at,
            customer_id=e.customer_id,
            status=e.status,
            messages=timeline.get(e.pk, []),
            now=now,
            hours=hours,
        )
        for e in errands
    }


@dataclass(frozen=True)
class Figures:
    count: int = 0
    median_seconds: int | None = None
    p90_seconds: int | None = None


def _figures(values: list[int]) -> Figures:
    if not values:
        return Figures()
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return Figures(len(values), int(statistics.median(ordered)), p90)


@dataclass(frozen=True)
class Summary:
    errands: int
    first_response: Figures
    next_response: Figures
    waiting_now: int
    business_hours: str
    days: int = field(default=30)


def summary(*, days: int = 30, now: dt.datetime | None = None) -> Summary:
    """Every errand created in the last `days` days, for admins: counts and business-time
    percentiles, never a row about a person. Three queries."""
    now = now or timezone.now()
    errands = list(
        Errand.objects.filter(created_at__gte=now - dt.timedelta(days=days)).only(
            "id", "created_at", "customer_id", "status"
        )
    )
    clocks = clocks_for(errands, now=now).values()
    return Summary(
        errands=len(errands),
        first_response=_figures(
            [c.first_response_seconds for c in clocks if c.first_response_seconds is not None]
        ),
        next_response=_figures([s for c in clocks for s in c.next_response_seconds]),
        waiting_now=sum(1 for c in clocks if c.state == WAITING_ON_ASSISTANT),
        business_hours=business_hours().describe(),
        days=days,
    )
