"""The free-text rule (hisho/textcheck.py), checked against Unicode's own categories."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from hisho.textcheck import nests_deeper_than, text_problem

REFUSED = "Contains control characters that are not allowed."


def refused_by_unicode(char: str) -> bool:
    category = unicodedata.category(char)
    return (category == "Cc" and char not in "\t\n\r") or category == "Cs"


def test_every_code_point_is_judged_as_its_unicode_category_says() -> None:
    wrong = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if (text_problem(f"a{chr(code)}b", max_length=10) == REFUSED)
        != refused_by_unicode(chr(code))
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("tab\tnew\nline\r\n", None),
        ("NUL \x00", REFUSED),
        ("DEL \x7f", REFUSED),
        ("C1 \x85", REFUSED),
        ("lone \ud83d surrogate", REFUSED),
        ("emoji 😀 and 日本語 are text", None),
        ("zero\u200bwidth", None),  # a format character (Cf), not a control one
        ("   ", None),
    ],
)
def test_the_rule_on_examples(value: str, problem: str | None) -> None:
    assert text_problem(value, max_length=100) == problem


def test_required_and_length() -> None:
    assert text_problem(" \n ", max_length=10, required=True) == "This field is required."
    assert text_problem("x" * 11, max_length=10) == "At most 10 characters."


def test_skipping_strings_is_linear_even_when_none_is_closed() -> None:
    """'"' + '\\"' * 32000 opens a string that never closes; each of its '"' used to
    start a scan to the end that failed — quadratic, 40 s of a server process for one
    64 KB request body or chat frame, before any sign-in. Every '"' must now start a
    match that cannot fail: an unclosed string runs to the end of the text."""
    from hisho.textcheck import _JSON_STRING

    attack = "[]" * 17 + '"' + '\\"' * 32000
    start = attack.index('"')
    assert _JSON_STRING.match(attack, start).end() == len(attack)  # type: ignore[union-attr]
    assert _JSON_STRING.match('"abc\\', 0).end() == 5  # type: ignore[union-attr]
    assert not nests_deeper_than(attack, 64)
    assert nests_deeper_than("[" * 70 + '"' + "[" * 10, 64)  # brackets before it count
    assert not nests_deeper_than('["x\\"[[[["]', 3)  # escaped quotes stay inside
