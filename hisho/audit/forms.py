from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hisho.audit.access import AuditFilter

_EVENT = re.compile(r"^[a-z0-9_.]{0,64}$")
_REF = re.compile(r"^[0-9a-f]{64}$")
# Days a filter can name: a day's start and the next day's must be datetimes in every
# time zone and database (year 1 shifted to UTC is year 0; 9999-12-31 has no next day).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)
DAY_RANGE = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]
LARGEST_ID = 2**63 - 1  # a database integer


class AuditFilterForm(forms.Form):
    # Labelled for the admin's language: Django's defaults come from the field names,
    # in English on a Japanese page.
    event = forms.CharField(
        required=False,
        max_length=64,
        label=_("Event"),
        help_text=_("e.g. errand.assigned, or errand. for every errand event"),
    )
    person = forms.IntegerField(
        required=False, min_value=1, max_value=LARGEST_ID, label=_("Person id")
    )
    pseudonym = forms.CharField(required=False, max_length=64, label=_("Pseudonym"))
    target_type = forms.CharField(required=False, max_length=64, label=_("Target type"))
    target_id = forms.CharField(required=False, max_length=64, label=_("Target id"))
    since = forms.DateField(
        required=False,
        validators=DAY_RANGE,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=pgettext_lazy("audit filter", "Since"),
    )
    until = forms.DateField(
        required=False,
        validators=DAY_RANGE,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=pgettext_lazy("audit filter", "Until"),
    )
    before = forms.IntegerField(
        required=False, min_value=1, max_value=LARGEST_ID, widget=forms.HiddenInput
    )

    def clean_event(self) -> str:
        value: str = self.cleaned_data["event"].strip()
        if not _EVENT.match(value):
            raise forms.ValidationError("Event names are lower-case letters, digits, _ and .")
        return value

    def clean_pseudonym(self) -> str:
        value: str = self.cleaned_data["pseudonym"].strip().lower()
        if value and not _REF.match(value):
            raise forms.ValidationError("A pseudonym is 64 hexadecimal characters.")
        return value

    def to_filter(self) -> AuditFilter:
        data = self.cleaned_data

        def day_start(day: dt.date | None) -> dt.datetime | None:
            if day is None:
                return None
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

        until = data.get("until")
        return AuditFilter(
            event=data.get("event") or "",
            person=data.get("person"),
            pseudonym=data.get("pseudonym") or "",
            target_type=(data.get("target_type") or "").strip(),
            target_id=(data.get("target_id") or "").strip(),
            since=day_start(data.get("since")),
            until=day_start(until + dt.timedelta(days=1)) if until else None,
            before_id=data.get("before"),
        )
