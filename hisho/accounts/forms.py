from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hisho.accounts.models import Role
from hisho.textcheck import ADDRESS_MAX, NAME_MAX, PHONE_MAX
from hisho.zones import zone_choices


class ProfileForm(forms.Form):
    """Every field optional (K1); an empty field clears what was stored."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=PHONE_MAX, required=False)
    mailing_address = forms.CharField(
        label=_("Mailing address"),
        max_length=ADDRESS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    country = forms.CharField(
        label=_("Country (two letters, e.g. JP)"), max_length=2, required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", "—"), *settings.LANGUAGES]
    )
    birth_year = forms.IntegerField(
        label=_("Birth year"), required=False, min_value=1900, max_value=2100
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=zone_choices,
        help_text=_("Times on Hisho and in its e-mails are shown in this zone."),
    )
    approve_assignees = forms.BooleanField(
        label=_(
            "Ask me before a new assistant can read my errand: until I accept them, they see "
            "only its category and my note for coordinators."
        ),
        required=False,
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
