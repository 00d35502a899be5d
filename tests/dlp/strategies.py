"""Hypothesis strategies shared by the DLP properties."""

from __future__ import annotations

from hypothesis import strategies as st

from hisho.dlp.normalize import skeleton


def _reads_as_no_digit(ch: str) -> bool:
    # Not only Nd and No: the detector also reads CJK numerals (六, 陸, 〇) as digits, and
    # digits glued to a card make a different number.
    return not any("0" <= c <= "9" for c in skeleton(ch).text)


def no_digit_text(max_size: int) -> st.SearchStrategy[str]:
    """Text the detector reads no digit in."""
    characters = st.characters(exclude_categories=("Nd", "No")).filter(_reads_as_no_digit)
    return st.text(alphabet=characters, max_size=max_size)
