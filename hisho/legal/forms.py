from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from hisho.legal.models import Category


class CaseForm(forms.Form):
    authority = forms.CharField(max_length=200, label="Requesting authority")
    legal_basis = forms.CharField(max_length=500, label="Legal basis")
    reference = forms.CharField(max_length=100, label="Their reference")
    person_id = forms.IntegerField(min_value=1, label="Person (customer id)")
    categories = forms.MultipleChoiceField(
        choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DeferForm(forms.Form):
    until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Tell the person on"
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why not now (e.g. the order that forbids telling them)",
    )

    def until_moment(self) -> dt.datetime:
        day: dt.date = self.cleaned_data["until"]
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
