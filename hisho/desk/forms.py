"""Web forms. They check shape; the actions check rules (and raise InvalidInput)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hisho.desk.models import Status
from hisho.desk.triage import (
    CATEGORY_LABEL,
    DEFAULT_CATEGORY,
    NOTE_HELP,
    NOTE_LABEL,
    TRIAGE_NOTE_MAX,
    category_keys,
    category_label,
)
from hisho.textcheck import ADDRESS_MAX, DETAILS_MAX, MESSAGE_MAX, NOTE_MAX, PHONE_MAX, TITLE_MAX


class ErrandForm(forms.Form):
    title = forms.CharField(label=_("What do you need?"), max_length=TITLE_MAX)
    category = forms.ChoiceField(choices=(), required=False)
    triage_note = forms.CharField(
        max_length=TRIAGE_NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    details = forms.CharField(
        label=_("Details"), max_length=DETAILS_MAX, required=False, widget=forms.Textarea
    )
    phone = forms.CharField(
        label=_("Phone number (optional, only your assistant sees it)"),
        max_length=PHONE_MAX,
        required=False,
    )
    address = forms.CharField(
        label=_("Address (optional, only your assistant sees it)"),
        max_length=ADDRESS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("Private note (optional, only your assistant sees it)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels in the page's language, from policy.yaml and hisho/desk/triage.py.
        language = translation.get_language()
        category = self.fields["category"]
        category.label = CATEGORY_LABEL(language)
        category.choices = [(key, category_label(key, language)) for key in category_keys()]  # type: ignore[attr-defined]
        category.initial = DEFAULT_CATEGORY
        note = self.fields["triage_note"]
        note.label = NOTE_LABEL(language)
        note.help_text = NOTE_HELP(language)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class StatusForm(forms.Form):
    status = forms.CharField(max_length=16)


class AssignForm(forms.Form):
    assistant_id = forms.IntegerField(required=False, min_value=1)
    strategy = forms.ChoiceField(
        required=False, choices=[("", ""), ("least_loaded", "least_loaded")]
    )


class ListForm(forms.Form):
    """The errand list's filter and order (GET: they hold no personal data)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("created", _("Newest first")), ("activity", _("Latest activity first"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)  # noqa: S101 - declared above
        status.choices = [("", _("Any status")), *Status.choices]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search your errands"), max_length=200)
