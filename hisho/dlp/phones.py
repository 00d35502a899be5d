"""Phone numbers: our own cheap candidate finder, libphonenumber for the numbering plans.

Candidates are windows of consecutive digit blocks joined by phone separators. Only a few
windows per block ever reach ``phonenumbers.parse``:

* national form (no "+"): must start with the trunk prefix 0 and have 10 or 11 digits, the
  only lengths of Japanese national numbers; parsed with region JP;
* international form: "+" (or the IDD prefixes 010 from Japan / 00 from abroad, typed as
  their own group) followed by 7-15 digits; ``phonenumbers`` reads the country code itself,
  so travellers' numbers from any country are recognised without us guessing a region.

A national number of another country written without its country code ("(415) 555-2671")
is deliberately not reported: read as Japanese it is not a valid number, and guessing every
region for every digit run would be slow and noisy.
"""

from __future__ import annotations

from typing import NamedTuple

import phonenumbers

from .digits import Block, gap_is, tightly_joined

_PHONE_GAP = frozenset(" -.()")
_PHONE_GAP_MAX = 3
_NATIONAL_MIN, _NATIONAL_MAX = 10, 11  # every Japanese national number, trunk 0 included
_INTL_MIN, _INTL_MAX = 7, 15  # E.164 digits after "+"
_JP_IDD = "010"
_INTL_PREFIX = "00"


class _Form(NamedTuple):
    """How a candidate was written: its IDD prefix (digits replaced by "+"), the digit
    counts worth parsing, and the region for national numbers."""

    idd: str
    low: int
    high: int
    region: str | None


_INTERNATIONAL = _Form("", _INTL_MIN, _INTL_MAX, None)
_FROM_JAPAN = _Form(_JP_IDD, 3 + _INTL_MIN, 3 + _INTL_MAX, None)
_FROM_ABROAD = _Form(_INTL_PREFIX, 2 + _INTL_MIN, 2 + _INTL_MAX, None)
_NATIONAL = _Form("", _NATIONAL_MIN, _NATIONAL_MAX, "JP")


def _prefix_start(norm: str, start: int) -> tuple[int, bool]:
    """Extend the span left over a "+" / "(" typed right before the first digit."""
    begin = start
    while begin > 0 and start - begin < 3 and norm[begin - 1] in "+(":
        begin -= 1
    return begin, "+" in norm[begin:start]


def _form_of(first_digits: str, plus: bool) -> _Form | None:
    if plus:
        return _INTERNATIONAL
    # An IDD prefix must stand in its own group ("010-1-415...", "0044 20..."), possibly
    # with the country code: an unbroken "010119316316393" is an IMEI, not a call abroad.
    if first_digits.startswith(_JP_IDD) and len(first_digits) <= 3 + 3:
        return _FROM_JAPAN
    if first_digits.startswith(_INTL_PREFIX) and len(first_digits) <= 2 + 3:
        return _FROM_ABROAD
    if first_digits.startswith("0"):
        return _NATIONAL
    return None


def _plausible(digits: str, form: _Form) -> bool:
    """Cheap pre-check before the library: no country code and no Japanese area code
    starts with 0, so "+0...", "00 0...", "010 0..." and "00..." (national) are out."""
    if form.region is not None:
        return digits[1] != "0"
    return digits[len(form.idd)] != "0"


def is_international_phone(candidate: str) -> bool:
    """True if ``candidate`` (starting with "+") is a valid number in international form."""
    return _valid(candidate, None)


def _valid(candidate: str, region: str | None) -> bool:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def find_phones(norm: str, blocks: list[Block], taken: list[bool]) -> list[tuple[int, int]]:
    """Return (span start, last block index) for each valid phone number, in order."""
    found: list[tuple[int, int]] = []
    count = len(blocks)
    i = 0
    while i < count:
        hit = _phone_at(norm, blocks, taken, i) if not taken[i] else None
        if hit is None:
            i += 1
            continue
        found.append(hit)
        i = hit[1] + 1
    return found


def _phone_at(norm: str, blocks: list[Block], taken: list[bool], i: int) -> tuple[int, int] | None:
    first = blocks[i]
    begin, plus = _prefix_start(norm, first.start)
    if not plus and tightly_joined(norm, blocks, i - 1):
        return None
    form = _form_of(first.digits, plus)
    if form is None:
        return None
    # Collect the windows (last block index) whose digit count is in range, then try the
    # longest first so "+44 20 7946 0958" is not cut short at a shorter valid prefix.
    ends: list[int] = []
    total = 0
    j = i
    while True:
        total += len(blocks[j].digits)
        if total > form.high:
            break
        if total >= form.low:
            ends.append(j)
        j += 1
        if (
            j >= len(blocks)
            or taken[j]
            or not gap_is(norm, blocks[j - 1].end, blocks[j].start, _PHONE_GAP, _PHONE_GAP_MAX)
        ):
            break
    if not ends:
        return None
    if not _plausible("".join(b.digits for b in blocks[i : ends[-1] + 1]), form):
        return None
    for last in reversed(ends):
        if tightly_joined(norm, blocks, last):
            continue
        if form is _NATIONAL and last > i and len(blocks[last].digits) < 3:
            # A Japanese subscriber number ends in a group of 4 (3 for 0120/0570 numbers),
            # so "06.12.2025 22" (a date and an hour) is not read as 06-1220-2522.
            continue
        candidate = norm[begin : blocks[last].end]
        if form.idd:
            # Replace the IDD digits by "+" and let the library read the country code.
            candidate = "+" + norm[first.start + len(form.idd) : blocks[last].end]
        if _valid(candidate, form.region):
            return begin, last
    return None
