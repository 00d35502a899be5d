"""Business hours: the time that counts on the response-time clocks (hisho/desk/clocks.py).

Configured by `HISHO_BUSINESS_HOURS` ("Mon-Fri 09:00-18:00"), `HISHO_BUSINESS_TIME_ZONE`
("Asia/Tokyo") and `HISHO_BUSINESS_HOLIDAYS` (a country code of the `holidays` library,
"JP"; empty for none). National holidays are closed days whatever the weekday.
No Django here: settings parse the values with it, and fail loudly on a bad one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    days: frozenset[int]  # Monday is 0
    opens: dt.time
    closes: dt.time
    country: str = ""
    _holidays: Any = field(default=None, compare=False, repr=False)

    def is_holiday(self, day: dt.date) -> bool:
        return self._holidays is not None and day in self._holidays

    def is_open_day(self, day: dt.date) -> bool:
        return day.weekday() in self.days and not self.is_holiday(day)

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Business seconds from `start` to `end` (aware datetimes; 0 if end ≤ start)."""
        if end <= start:
            return 0
        start, end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = 0.0
        day = start.date()
        while day <= end.date():
            if self.is_open_day(day):
                window_open = dt.datetime.combine(day, self.opens, self.zone)
                window_close = dt.datetime.combine(day, self.closes, self.zone)
                overlap = min(end, window_close) - max(start, window_open)
                total += max(overlap.total_seconds(), 0.0)
            day += dt.timedelta(days=1)
        return int(total)

    def describe(self) -> str:
        days = sorted(self.days)
        names = f"{DAYS[days[0]].title()}–{DAYS[days[-1]].title()}" if days else ""
        opens, closes = self.opens.strftime("%H:%M"), self.closes.strftime("%H:%M")
        extra = f", {self.country} holidays closed" if self.country else ""
        return f"{names} {opens}–{closes} {self.zone.key}{extra}"


def _time(text: str) -> dt.time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        return dt.time(23, 59, 59, 999999)
    return dt.time(hours, minutes)


def parse_business_hours(spec: str, zone: str, country: str) -> BusinessHours:
    """Raises ValueError with a message for the operator on anything it cannot read."""
    match = _SPEC.match(spec.lower())
    if not match or match["first"] not in DAYS or (match["last"] or match["first"]) not in DAYS:
        raise ValueError(f"business hours must look like 'Mon-Fri 09:00-18:00', not {spec!r}")
    first, last = DAYS.index(match["first"]), DAYS.index(match["last"] or match["first"])
    days = frozenset(range(first, last + 1)) if first <= last else frozenset()
    try:
        opens, closes = _time(match["open"]), _time(match["close"])
    except ValueError:
        raise ValueError(f"not a time of day in {spec!r}") from None
    if not days or opens >= closes:
        raise ValueError(f"business hours {spec!r} contain no time")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    calendar = None
    if country:
        try:
            calendar = holidays.country_holidays(country.upper())
        except NotImplementedError:
            raise ValueError(f"no holiday calendar for country {country!r}") from None
    return BusinessHours(tz, days, opens, closes, country.upper(), calendar)
