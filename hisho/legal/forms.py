from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hisho.legal.models import Category


class CaseForm(forms.Form):
    # Labels in the admin's language (Django's defaults are the field names, in English).
    authority = forms.CharField(max_length=200, label=_("Requesting authority"))
    legal_basis = forms.CharField(max_length=500, label=_("Legal basis"))
    reference = forms.CharField(max_length=100, label=_("Their reference"))
    person_id = forms.IntegerField(min_value=1, label=_("Person (customer id)"))
    categories = forms.MultipleChoiceField(
        choices=Category.choices, widget=forms.CheckboxSelectMultiple, label=_("Categories")
    )
    period_start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label=_("Period start")
    )
    period_end = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label=_("Period end")
    )
    deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Deadline"))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Reason")
    )


class DeferForm(forms.Form):
    until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label=_("Tell the person on")
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why not now (e.g. the order that forbids telling them)"),
    )

    def until_moment(self) -> dt.datetime:
        day: dt.date = self.cleaned_data["until"]
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
