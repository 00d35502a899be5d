"""How pages show a moment: in the reader's time zone, in the words of their language.

Loaded into every template as builtins (hisho/settings.py, TEMPLATES): `{{ x|when }}` for
a moment ("Nov 30, 09:35" · "11月30日 9:35"; the year only when it is not this one),
`{{ x|day }}` for a date alone, and `{{ x|ago }}` for how long ago ("7 minutes ago" ·
"7分前"). Each takes a datetime, a date or an ISO 8601 string (the export's format)
and renders a `<time>` element whose `datetime` attribute keeps the exact value for
machines — never microseconds for people.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.dateformat import format as dateformat
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

# Per language: (this year, another year, a date alone, a date in another year).
FORMATS: dict[str, tuple[str, str, str, str]] = {
    "en": ("M j, H:i", "M j, Y, H:i", "M j", "M j, Y"),
    "ja": ("n月j日 G:i", "Y年n月j日 G:i", "n月j日", "Y年n月j日"),
}


def _formats() -> tuple[str, str, str, str]:
    language = (get_language() or "en").split("-")[0]
    return FORMATS.get(language, FORMATS["en"])


def _moment(value: object) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value) or parse_date(value)
    return None


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _machine(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        return _local(moment).replace(microsecond=0).isoformat()
    return moment.isoformat()


def format_when(value: object) -> str:
    """The moment as plain text (for e-mails and attributes)."""
    moment = _moment(value)
    if moment is None:
        return ""
    this_year, other_year, date_only, date_other_year = _formats()
    now = timezone.localtime()
    if isinstance(moment, dt.datetime):
        moment = _local(moment)
        return dateformat(moment, this_year if moment.year == now.year else other_year)
    return dateformat(moment, date_only if moment.year == now.year else date_other_year)


@register.filter(is_safe=True)
def when(value: object) -> SafeString | str:
    moment = _moment(value)
    if moment is None:
        return "—" if value in (None, "") else str(value)
    return format_html('<time datetime="{}">{}</time>', _machine(moment), format_when(moment))


@register.filter(is_safe=True)
def day(value: object) -> SafeString | str:
    moment = _moment(value)
    if moment is None:
        return "—" if value in (None, "") else str(value)
    if isinstance(moment, dt.datetime):
        moment = _local(moment).date()
    _, _, date_only, date_other_year = _formats()
    text = dateformat(
        moment, date_only if moment.year == timezone.localtime().year else date_other_year
    )
    return format_html('<time datetime="{}">{}</time>', moment.isoformat(), text)


@register.filter(is_safe=True)
def ago(value: object) -> SafeString | str:
    moment = _moment(value)
    if not isinstance(moment, dt.datetime):
        return when(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        _machine(moment),
        format_when(moment),
        naturaltime(moment),
    )
