"""The triage card: all that anyone but an errand's customer and its current assistant
sees of it (POLICY K7) — its category, the note the customer wrote for coordinators,
language, status, age and assignee. Admins choosing an assistant and the assistants' queue
see this and nothing else; it is built from those fields only, never from the title,
details, sealed fields or messages.

The note is optional, at most 140 characters, DLP-redacted of every type (cards masked,
phones, e-mails and My Numbers replaced by placeholders) before it is sealed, and the form
says who will read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation

from hisho.desk.models import Errand
from hisho.dlp import redact_for_triage
from hisho.errors import InvalidInput
from hisho.inbound import scrub
from hisho.privacy.policy import Text, current_policy
from hisho.vault.sealing import Place, Scope, open_triage_field, warm_keys

TRIAGE_NOTE_MAX = 140
DEFAULT_CATEGORY = "other"

# The form's words for the two triage fields, in every language Hisho offers (like the card
# notice, hisho/inbound.py): what a person is told about who reads what must never be
# missing in their language.
CATEGORY_LABEL = Text(en="What kind of errand is it?", ja="用件の種類")
NOTE_LABEL = Text(
    en="A note for our coordinators (optional)",
    ja="担当者選びのためのメモ（任意）",
)
NOTE_HELP = Text(
    en=(
        "Visible to our coordinators, who choose your assistant: they see this note and the "
        "category, never your errand itself. Leave out names, addresses and numbers."
    ),
    ja=(
        "担当アシスタントを選ぶコーディネーターに表示されます。コーディネーターが見るのはこのメモと"
        "用件の種類だけで、用件そのものは見えません。氏名・住所・番号は書かないでください。"
    ),
)


@dataclass(frozen=True)
class CleanNote:
    text: str
    cards_masked: int


def category_keys() -> list[str]:
    return list(current_policy().errand_categories)


def category_label(key: str, language: str | None = None) -> str:
    text = current_policy().errand_categories.get(key)
    if text is None:  # a category retired from policy.yaml: still shown, by its key
        return key
    return text(language if language is not None else translation.get_language())


def check_category(value: str | None) -> str:
    key = value or DEFAULT_CATEGORY
    if key not in current_policy().errand_categories:
        raise InvalidInput("category", f"Choose one of: {', '.join(category_keys())}.")
    return key


def clean_triage_note(value: str | None, *, regions: Sequence[str] = ()) -> CleanNote:
    """The note as triage staff will see it: checked, cards masked, every other kind of
    personal data replaced by a placeholder. ``regions``: the sender's own (their phone
    numbers written in national form), from ``hisho.inbound.regions_of``."""
    scrubbed = scrub("triage_note", value or "", max_length=TRIAGE_NOTE_MAX)
    text = " ".join(scrubbed.text.split())
    return CleanNote(redact_for_triage(text, regions=regions), scrubbed.cards_masked)


def triage_note(errand: Errand) -> str:
    """The errand's note for coordinators ("" if none; a placeholder if it cannot be
    decrypted). Opened without a reader: it is written for triage."""
    if errand.sealed_triage_note is None:
        return ""
    opened = open_triage_field(
        Scope(customer_id=errand.customer_id, errand_id=errand.pk),
        Place(Errand._meta.db_table, str(errand.pk), "triage_note"),
        errand.sealed_triage_note,
    )
    return opened.shown() or ""


@dataclass(frozen=True)
class TriageCard:
    """What triage sees of an errand (and every list shows of errands not one's own)."""

    category: str
    category_label: str
    triage_note: str
    summary: str
    # The customer's language, when their profile says (an assistant who speaks it).
    language: str

    @property
    def language_name(self) -> str:
        """The language's own name, as the profile offers it ("日本語"), not its code."""
        return dict(settings.LANGUAGES).get(self.language, self.language)


def triage_card(errand: Errand, language: str | None = None) -> TriageCard:
    note = triage_note(errand)
    return TriageCard(
        category=errand.category,
        category_label=category_label(errand.category, language),
        triage_note=note,
        summary=summary_text(errand.category, note, language),
        language=errand.customer.language or "",
    )


def triage_cards(errands: list[Errand], language: str | None = None) -> dict[Any, TriageCard]:
    """Cards for a list of errands, their notes' keys loaded in one go."""
    warm_keys([errand.sealed_triage_note for errand in errands])
    return {errand.pk: triage_card(errand, language) for errand in errands}


def summary_text(category: str, note: str, language: str | None = None) -> str:
    label = category_label(category, language)
    return f"{label}: {note}" if note else label


def triage_summary(errand: Errand, language: str | None = None) -> str:
    return summary_text(errand.category, triage_note(errand), language)
