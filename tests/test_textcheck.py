"""The free-text rule (hisho/textcheck.py), checked against Unicode's own categories."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from hisho.textcheck import text_problem

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
