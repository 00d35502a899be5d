"""One person's copy of a campaign: subject, text and headers, in their language.

It names the person by nothing but the address it is sent to (the `To` header, no display
name): the processor receives the address and the language (`Content-Language`) — what
policy.yaml declares — and nothing else. Links carry signed opaque tokens of the delivery,
never an address or a person's id. Every copy carries RFC 8058 one-click unsubscribe:
`List-Unsubscribe` with an https and a mailto URI, and `List-Unsubscribe-Post`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hisho.outreach.models import Campaign, CampaignKind, Delivery
from hisho.signing.tokens import make_token

UNSUBSCRIBE = "unsubscribe"
SURVEY = "survey"


@dataclass(frozen=True)
class Copy:
    title: str
    body: str
    headers: dict[str, str]


def language_of(person_language: str | None) -> str:
    return "ja" if (person_language or "")[:2] == "ja" else "en"


def site_url(path: str) -> str:
    return f"{settings.HISHO_PUBLIC_URL.rstrip('/')}{path}"


def unsubscribe_url(token: str) -> str:
    return site_url(reverse("outreach_unsubscribe", args=[token]))


def copy_for(campaign: Campaign, delivery: Delivery, person_language: str | None) -> Copy:
    language = language_of(person_language)
    unsubscribe = make_token(UNSUBSCRIBE, delivery.pk)
    parts = [campaign.body(language)]
    with translation.override(language):
        if campaign.kind == CampaignKind.SURVEY:
            survey = site_url(reverse("outreach_survey", args=[make_token(SURVEY, delivery.pk)]))
            parts.append(_("Answer the survey (sign in first): %(url)s") % {"url": survey})
        parts.append(
            _("You receive this because you asked for it. Stop in one click: %(url)s")
            % {"url": unsubscribe_url(unsubscribe)}
        )
    mailto = (
        f"mailto:{settings.HISHO_UNSUBSCRIBE_EMAIL}?subject={quote('unsubscribe ' + unsubscribe)}"
    )
    return Copy(
        title=campaign.subject(language),
        body="\n\n-- \n".join(["\n\n".join(parts[:-1]), parts[-1]]),
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url(unsubscribe)}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": language,
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        },
    )
