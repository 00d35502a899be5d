"""Digit blocks: the cheap candidate finder shared by the number detectors.

A *block* is a maximal run of ASCII digits in the skeleton (``normalize.skeleton``: other
scripts' digits are folded, invisible characters dropped). Cards, phone numbers and My
Numbers are sequences of consecutive blocks joined by short separators; each detector
decides which separators it accepts. Finding blocks is one linear regex pass, and every
detector only looks at a bounded number of blocks from each starting block (a block holds at
least one digit and no entity has more than 19 digits), so the whole pipeline stays linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK = re.compile(r"[0-9]+")

# What can stand between two digits for a human reader without making them two different
# numbers: any short run of whitespace, punctuation or symbols (ASCII, full-width and
# Japanese: "-.,/:|*_~・、。〜／" ...), i.e. anything that is neither a letter nor a digit.
# Letters (Latin, kana, kanji) always end a number. The skeleton has already dropped the
# characters with no width (format characters, combining marks, variation selectors).
# How long "short" is: a row of nine emoji, nine spaces or nine line breaks between the
# groups still reads as one number (eight was the limit until an attack used nine); the
# lists of ordinary values that longer runs join are told apart by lists.py, and a typed
# mask's reach follows it (distrust_typed_masks reads the mask where it stands).
SEPARATOR_MAX = 24
# What a reading of the text put in place of characters it read as nothing (an HTML tag:
# markup.py). It separates like any symbol, but has no width: runs are compared without it.
FILLER = "\u2060"
_SEPARATOR_RUN = re.compile(rf"(?:[^\w]|_){{1,{SEPARATOR_MAX}}}")


@dataclass(slots=True)  # not frozen: a frozen dataclass is three times slower to create
class Block:
    start: int
    end: int
    digits: str


def find_blocks(norm: str) -> list[Block]:
    return [Block(m.start(), m.end(), m.group()) for m in _BLOCK.finditer(norm)]


def gap_is(norm: str, start: int, end: int, allowed: frozenset[str], max_len: int) -> bool:
    """True if ``norm[start:end]`` is 1..max_len characters, all from ``allowed``."""
    if not 0 < end - start <= max_len:
        return False
    return all(ch in allowed for ch in norm[start:end])


def separated(norm: str, start: int, end: int) -> bool:
    """True if ``norm[start:end]`` is a short run of separators (no letter, no digit)."""
    return _SEPARATOR_RUN.fullmatch(norm, start, end) is not None


# A "tight" join (a lone hyphen or dot) glues two blocks into one token such as a date,
# a postcode or a product code. Phone numbers and My Numbers must not start or end at one,
# otherwise "12-03-1234-5678" would yield the phone "03-1234-5678".
_TIGHT = frozenset("-.")


def tightly_joined(norm: str, blocks: list[Block], left: int) -> bool:
    """True if blocks[left] and blocks[left + 1] are joined by one or two hyphens/dots."""
    if left < 0 or left + 1 >= len(blocks):
        return False
    return gap_is(norm, blocks[left].end, blocks[left + 1].start, _TIGHT, 2)


def union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint spans covering the overlapping ``spans`` (a card is never
    half-masked; a value no card reading may touch is one span)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
