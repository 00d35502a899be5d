"""The skeleton: the characters a person sees, folded for detection, with an offset map.

Detectors run on a *skeleton* of the text, and findings must carry offsets into the
ORIGINAL text. The skeleton is built in two steps:

1. ``normalize``, length-preserving, code point to code point with ``str.translate`` (C
   speed): every character whose NFKC form is a single ASCII character (full-width digits
   and letters, ``＠ ． ＋ （ ）``, ideographic and no-break spaces...), every decimal digit of
   any script (Arabic-Indic, Devanagari, mathematical bold...) and the dashes and long-vowel
   marks people type between digits (``－ − – ー ｰ ‐``, folded to ``-``), digits that are
   not decimal (``⑷ ➃ ❹``) and CJK numerals (``四二〇``, ``壱弐``).
2. Dropping every character that cannot *separate* two digits for a human reader because it
   has no width of its own: format characters (Unicode Cf: zero-width space/joiners, LRM/RLM,
   bidi embeddings and isolates, word joiner, invisible separators, soft hyphen, BOM, tags),
   combining marks (Mn, Me: accents, variation selectors, the keycap U+20E3 of ``4️⃣``,
   enclosing circles), the Hangul fillers that render as nothing, and control characters
   that are not whitespace. ``4\\u200e1111`` is
   read ``41111``, exactly what the reader sees.

Dropping characters changes indices, so the skeleton carries an offset map: ``offsets[i]``
is the index in the original text of skeleton character ``i`` and ``offsets[len]`` is
``len(text)``. Text without any such character (nearly all text) needs no map at all.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass

# Dashes and long-vowel marks that Japanese IMEs and word processors put between digits
# ("090ー1234ー5678", "03−1234−5678"). NFKC does not fold these to "-".
_DASHES = (
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2796\ufe58\ufe63\uff0d\u30fc\uff70\u02d7"
)

# Planes 0 and 1 hold every decimal digit and every character whose NFKC form is one ASCII
# character; plane 14 holds the tag characters and the variation selectors supplement.
_SCAN_RANGES = (range(0x80, 0x20000), range(0xE0000, 0xE1000))
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
# Letters that render as nothing (Hangul fillers): "4242\u31644242…" reads as one number.
_BLANK_LETTERS = (0x115F, 0x1160, 0x3164, 0xFFA0)
# Digits written with CJK numerals (四二四二…, 〇 and 零 for zero, the formal 壱弐参…):
# not Unicode decimal digits, so NFKC leaves them; in Japanese text they are how
# numbers are written out.
_CJK_DIGITS = {
    **dict.fromkeys("〇零", "0"),
    **dict.fromkeys("一壱壹", "1"),
    **dict.fromkeys("二弐貳", "2"),
    **dict.fromkeys("三参參", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陸", "6"),
    **dict.fromkeys("七漆", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}


@functools.cache
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in _SCAN_RANGES[0]:
        ch = chr(cp)
        digit = unicodedata.decimal(ch, None)
        if digit is None:
            # Digits that are not decimal: ⑷ ⒋ 🄅 ➃ ❹ ⓸ (NFKC makes "(4)", "4." — several
            # characters — or nothing), superscripts, circled digits.
            digit = unicodedata.digit(ch, None)
        if digit is not None:
            table[cp] = str(digit)
            continue
        if cp in _BLANK_LETTERS:
            continue  # dropped by the skeleton
        if unicodedata.category(ch) in _DROPPED_CATEGORIES:
            continue  # dropped by the skeleton, never folded into something visible
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1 and folded != ch and folded.isascii():
            table[cp] = folded
    for ch in _DASHES:
        table[ord(ch)] = "-"
    for ch, digit_text in _CJK_DIGITS.items():
        table[ord(ch)] = digit_text
    return table


def _class_of(codes: list[int]) -> str:
    """A regex character class matching exactly ``codes`` (sorted), as ranges."""
    parts: list[str] = []
    k = 0
    while k < len(codes):
        first = last = codes[k]
        while k + 1 < len(codes) and codes[k + 1] == last + 1:
            k += 1
            last = codes[k]
        low, high = re.escape(chr(first)), re.escape(chr(last))
        parts.append(low if first == last else f"{low}-{high}")
        k += 1
    return "[" + "".join(parts) + "]"


@functools.cache
def _invisible() -> re.Pattern[str]:
    codes = [
        cp
        for cp in range(0x20)
        if not chr(cp).isspace()  # controls that are not whitespace
    ] + [0x7F]
    codes += [cp for cp in range(0x80, 0xA0) if not chr(cp).isspace()]
    for scan in _SCAN_RANGES:
        codes += [cp for cp in scan if unicodedata.category(chr(cp)) in _DROPPED_CATEGORIES]
    codes += _BLANK_LETTERS
    return re.compile(_class_of(sorted(set(codes))) + "+")


@functools.cache
def _maybe_invisible() -> re.Pattern[str]:
    """A cheap first test: the characters of ``_invisible`` below U+10000, or any character
    above it. Python's regex engine tests a class of the Basic Multilingual Plane with one
    table lookup, but walks the list of ranges for characters above it, which made the full
    class the most expensive step of the whole detector for ordinary text."""
    codes = [
        cp
        for cp in range(0x20)
        if not chr(cp).isspace()  # controls that are not whitespace
    ] + [0x7F]
    codes += [cp for cp in range(0x80, 0xA0) if not chr(cp).isspace()]
    codes += [
        cp for cp in range(0xA0, 0x10000) if unicodedata.category(chr(cp)) in _DROPPED_CATEGORIES
    ]
    codes += _BLANK_LETTERS
    return re.compile(_class_of(sorted(set(codes))) + "|[\U00010000-\U0010ffff]")


def normalize(text: str) -> str:
    """Return a copy of ``text`` with the same length, folded for detection.

    ``normalize(text)[i]`` is the folded form of ``text[i]`` for every ``i``; invisible
    characters are left as they are (the skeleton drops them).
    """
    if text.isascii():
        return text
    return text.translate(_table())


@dataclass(frozen=True, slots=True)
class Skeleton:
    """``text``: what detectors read. ``offsets``: None when ``text`` has the same indices
    as the original, else ``offsets[i]`` = original index of ``text[i]``, and
    ``offsets[len(text)]`` = length of the original."""

    text: str
    offsets: list[int] | None
    # Skeleton spans displayed in reverse: what follows a right-to-left override (U+202E)
    # up to its pop (U+202C) or the end of the line. "\u202e1111111111111114" shows as a
    # card; the skeleton has dropped the override, so detectors are told where it was.
    reversed_spans: tuple[tuple[int, int], ...] = ()

    def start(self, i: int) -> int:
        """Original index of the skeleton character ``i``."""
        return i if self.offsets is None else self.offsets[i]

    def end(self, i: int) -> int:
        """Original end index for a span ending before skeleton index ``i``. Characters
        dropped right after the span (a keycap, a variation selector) belong to it."""
        return i if self.offsets is None else self.offsets[i]


_OVERRIDDEN = re.compile("\u202e([^\u202c\n]*)")


def skeleton(text: str) -> Skeleton:
    skel = _skeleton(text)
    if "\u202e" not in text:
        return skel
    spans = []
    for match in _OVERRIDDEN.finditer(text):
        start, end = match.span(1)
        if skel.offsets is not None:  # original index -> skeleton index
            start, end = bisect_left(skel.offsets, start), bisect_left(skel.offsets, end)
        if end > start:
            spans.append((start, end))
    return Skeleton(skel.text, skel.offsets, tuple(spans))


def _skeleton(text: str) -> Skeleton:
    norm = normalize(text)
    if _maybe_invisible().search(norm) is None:
        return Skeleton(norm, None)
    invisible = _invisible()
    if invisible.search(norm) is None:
        return Skeleton(norm, None)
    parts: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in invisible.finditer(norm):
        parts.append(norm[position : match.start()])
        offsets.extend(range(position, match.start()))
        position = match.end()
    parts.append(norm[position:])
    offsets.extend(range(position, len(norm)))
    offsets.append(len(text))
    return Skeleton("".join(parts), offsets)
