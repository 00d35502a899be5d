"""Rules every piece of free text must pass before any action sees it.

Shared by the API schemas and the web forms, so both reject the same input with the
same message.
"""

from __future__ import annotations

import unicodedata

# Documented in docs/api-limits.md.
TITLE_MAX = 200
DETAILS_MAX = 10_000
MESSAGE_MAX = 10_000
NOTE_MAX = 2_000
PHONE_MAX = 40
ADDRESS_MAX = 500
NAME_MAX = 150

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def text_problem(value: str, *, max_length: int, required: bool = False) -> str | None:
    """Why `value` is not acceptable, or None when it is."""
    if required and not value.strip():
        return "This field is required."
    if len(value) > max_length:
        return f"At most {max_length} characters."
    for char in value:
        category = unicodedata.category(char)
        # Cc: control characters (NUL breaks PostgreSQL; others hide content).
        # Cs: lone surrogates cannot be stored as UTF-8.
        if (category == "Cc" and char not in _ALLOWED_CONTROLS) or category == "Cs":
            return "Contains control characters that are not allowed."
    return None
