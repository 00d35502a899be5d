"""The staff triage summary of an errand: its title with personal data taken out.

Admins and the assistants' queue see only this, never the title itself. Phones, e-mail
addresses and My Numbers become typed placeholders ("[phone]"); card numbers are masked
already by the time a title gets here.
"""

from __future__ import annotations

from hisho.dlp import redact_for_triage

SUMMARY_MAX = 80


def triage_summary(title: str) -> str:
    # Redact before shortening: a number cut in half might no longer be recognised.
    redacted = redact_for_triage(" ".join(title.split()))
    if len(redacted) > SUMMARY_MAX:
        redacted = redacted[: SUMMARY_MAX - 1].rstrip() + "…"
    return redacted
