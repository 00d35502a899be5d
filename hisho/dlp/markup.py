"""HTML typed around or instead of digits: ``<b>4111</b> <b>1111</b> …``, ``&#52;&#49;…``.

Chat text is plain text, but a customer hiding a card can type markup: inline tags between
the groups (the letters of a tag end a number for the card detector) or digits as
character references. Here tags are read as nothing (``digits.FILLER``, a separator without width),
and a numeric character reference for a digit (``&#52;``, ``&#x34;``) as that digit and
nothing to its length, so the text keeps its length and a card found in it keeps its
offsets. Only a reading that takes a changed character counts (the rest the card
detector has found already).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from .digits import FILLER

# Inline tags only: a table cell, a list item, a paragraph or a line break ends a value, as a
# line break does, and stays a letter here (cells of amounts read as nothing made cards).
_TAG = re.compile(
    r"</?(?:a|b|i|u|s|em|strong|span|font|small|big|mark|sup|sub|code|tt)(?![A-Za-z0-9])[^<>\n]{0,40}>",
    re.IGNORECASE | re.ASCII,
)
_DIGIT_REFERENCE = re.compile(r"&#(?:(?P<decimal>4[89]|5[0-7])|[xX](?P<hex>3[0-9]));")
_HINT = re.compile(r"</?[A-Za-z]|&#")


def unmarked(norm: str) -> tuple[str, list[tuple[int, int]]] | None:
    """``norm`` with tags blanked and digit references read as digits, and the sorted
    spans of the tags and references; None when there is no markup."""
    if _HINT.search(norm) is None:
        return None
    chars = list(norm)
    regions: list[tuple[int, int]] = []
    for match in _TAG.finditer(norm):
        chars[match.start() : match.end()] = FILLER * (match.end() - match.start())
        regions.append(match.span())
    for match in _DIGIT_REFERENCE.finditer(norm):
        code = int(match["decimal"]) if match["decimal"] else int(match["hex"], 16)
        chars[match.start() : match.end()] = chr(code) + FILLER * (match.end() - match.start() - 1)
        regions.append(match.span())
    if not regions:
        return None
    return "".join(chars), sorted(regions)


def widened(span: tuple[int, int], regions: list[tuple[int, int]]) -> tuple[int, int] | None:
    """``span`` grown to whole tags and references at its ends, or None if it takes none
    (the card detector has found it already)."""
    start, end = span
    k = bisect_right(regions, (start, 1 << 62)) - 1
    if k >= 0 and regions[k][1] > start:
        start = regions[k][0]
    taken = False
    k = bisect_left(regions, (start, -1))
    while k < len(regions) and regions[k][0] < end:
        taken = True
        end = max(end, regions[k][1])
        k += 1
    return (start, end) if taken else None
