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


def small_id(value: str, below: int = 2**31) -> int | None:
    """The positive id `value` spells in ASCII digits, if it is below `below`; else None —
    also for thousands of digits, which `int()` refuses with a ValueError (a 500) and a
    database integer could not hold anyway."""
    if not is_ascii_digits(value) or len(value) > len(str(below)):
        return None
    number = int(value)
    return number if 0 < number < below else None


def small_int(value: str) -> int | None:
    """A signed integer of at most 18 ASCII digits ("-" allowed first), else None."""
    digits = value.removeprefix("-")
    if not is_ascii_digits(digits) or len(digits) > 18:
        return None
    return int(value)


# A string, or one never closed: then it runs to the end of the text. Without that
# branch a text of thousands of unclosed strings ('"' + '\\"' * 32000) made each '"'
# scan to the end and fail, quadratic: 64 KB held a server process for 40 s.
_JSON_STRING = re.compile(r'"(?>[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON `text` nests arrays/objects more than `limit` deep, found without
    parsing it (json.loads recurses once per level: "[" * 100000 exhausts the stack).
    Linear: strings are skipped by one regex (every '"' starts a match that cannot fail),
    then only brackets are counted."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False
