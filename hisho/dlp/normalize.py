"""Length-preserving "NFKC thinking" normalisation.

Detectors run on a normalised copy of the text, but findings must carry offsets into the
ORIGINAL text. Full NFKC can change the length of a string (``"⑩"`` -> ``"10"``, composed
kana), which would force an offset map. We instead map code point to code point: every
character whose NFKC form is a single ASCII character (full-width digits/letters/@/./+,
ideographic and no-break spaces...), every decimal digit of any script, and the dashes and
invisible characters people paste between digits. Characters whose NFKC form is longer than
one character are left alone; none of them can be part of a card, phone, e-mail or My Number
as people actually type them. Because the mapping is 1:1, an index into the normalised text
*is* an index into the original text, and ``str.translate`` does the work in C.
"""

from __future__ import annotations

import functools
import unicodedata

# Dashes and long-vowel marks that Japanese IMEs and word processors put between digits
# ("090ー1234ー5678", "03−1234−5678"). NFKC does not fold these to "-".
_DASHES = (
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2796\ufe58\ufe63\uff0d\u30fc\uff70\u02d7"
)
# Invisible characters that survive copy/paste (zero-width space, joiners, soft hyphen, BOM).
# Mapped to a plain space so that they act as separators instead of hiding a number.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"

# Planes 0 and 1 hold every decimal digit and every character whose NFKC form is one ASCII
# character, so scanning them is enough (about 70 ms, once, on first use).
_SCAN_LIMIT = 0x20000


@functools.cache
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x80, _SCAN_LIMIT):
        ch = chr(cp)
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            table[cp] = str(digit)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1 and folded != ch and folded.isascii():
            table[cp] = folded
    for ch in _DASHES:
        table[ord(ch)] = "-"
    for ch in _INVISIBLE:
        table[ord(ch)] = " "
    return table


def normalize(text: str) -> str:
    """Return a copy of ``text`` with the same length, folded for detection.

    ``normalize(text)[i]`` is the folded form of ``text[i]`` for every ``i``.
    """
    if text.isascii():
        return text
    return text.translate(_table())
