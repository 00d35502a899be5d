"""Rules every piece of free text must pass before any action sees it.

Shared by the API schemas and the web forms, so both reject the same input with the
same message.
"""

from __future__ import annotations

import re

# Documented in docs/api-limits.md.
TITLE_MAX = 200
DETAILS_MAX = 10_000
MESSAGE_MAX = 10_000
NOTE_MAX = 2_000
PHONE_MAX = 40
ADDRESS_MAX = 500
NAME_MAX = 150

# The same rules as regular expressions, for the OpenAPI document (hisho/schemas.py):
# ECMA-262 syntax, which Python's `re` reads alike. Refused: control characters (Cc)
# other than tab, LF and CR. (Lone surrogates, refused too, are not characters a regex
# over Unicode scalar values can name: validators written in Rust reject the pattern.)
_REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# What str.strip() removes, less the refused characters: a required field needs one
# character outside both sets.
_SPACE = r"\t\n\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_PATTERN = rf"^[^{_REFUSED}]*$"
# What text_problem refuses: Cc (control characters: NUL breaks PostgreSQL, others hide
# content) but tab, LF and CR, and Cs (lone surrogates cannot be stored as UTF-8). One
# regex search instead of a category look-up per character: a tenth of the time on a
# 1 KB message. tests/test_textcheck.py checks it against unicodedata for every code point.
_REFUSED_CHAR = re.compile(rf"[{_REFUSED}\ud800-\udfff]")
REQUIRED_TEXT_PATTERN = rf"^[^{_REFUSED}]*[^{_REFUSED}{_SPACE}][^{_REFUSED}]*$"


def text_problem(value: str, *, max_length: int, required: bool = False) -> str | None:
    """Why `value` is not acceptable, or None when it is."""
    if required and not value.strip():
        return "This field is required."
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if _REFUSED_CHAR.search(value):
        return "Contains control characters that are not allowed."
    return None


def is_ascii_digits(value: str) -> bool:
    """0-9 only. `str.isdigit()` alone also says yes to "²", "①" and "٤٠", which `int()`
    then refuses (a 500) or reads (a number nobody typed)."""
    return value.isascii() and value.isdigit()
