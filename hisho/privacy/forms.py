"""Web forms of the privacy center. They check shape; the actions check rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hisho.privacy.actions import CHANGES_MAX, CONTACT_MAX
from hisho.privacy.models import ContactTopic


class ContactForm(forms.Form):
    topic = forms.ChoiceField(label=_("About"), choices=ContactTopic.choices)
    reply_to = forms.EmailField(
        label=_("Your e-mail address, to answer you"), required=False, max_length=254
    )
    message = forms.CharField(
        label=_("Your message"), max_length=CONTACT_MAX, widget=forms.Textarea
    )


class PublishForm(forms.Form):
    changes_en = forms.CharField(
        label=_("What changed (English)"), max_length=CHANGES_MAX, widget=forms.Textarea
    )
    changes_ja = forms.CharField(
        label=_("What changed (Japanese)"), max_length=CHANGES_MAX, widget=forms.Textarea
    )
