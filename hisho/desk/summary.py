"""The staff triage summary of an errand: its title with personal data taken out.

Admins and the assistants' queue see only this, never the title itself.
"""

from __future__ import annotations

SUMMARY_MAX = 80


def triage_summary(title: str) -> str:
    redacted = " ".join(title.split())
    if len(redacted) > SUMMARY_MAX:
        redacted = redacted[: SUMMARY_MAX - 1].rstrip() + "…"
    return redacted
