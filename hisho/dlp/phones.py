"""Phone numbers: our own cheap candidate finder, libphonenumber for the numbering plans.

Candidates are windows of consecutive digit blocks joined by phone separators. Only a few
windows per block ever reach ``phonenumbers.parse``:

* international form: "+" (or the IDD prefixes 010 from Japan / 00 from abroad, typed as
  their own group) followed by 7-15 digits; ``phonenumbers`` reads the country code itself,
  so travellers' numbers from any country are recognised without us guessing a region;
* Japanese national form (no "+"): must start with the trunk prefix 0 and have 10 or 11
  digits, the only lengths of Japanese national numbers; parsed with region JP;
* other national forms (no "+"): travellers write their own number the way they do at home,
  ``(617) 572-5961``, ``06 62 34 55 31``, ``0405 261 788``, ``010-1234-5678``. A whole group
  of digits (not part of a longer one) is tried against the caller's regions (the sender's
  profile country, their language's region), then the regions travellers to Japan come from.
  A random group of 8-10 digits is a valid number somewhere, so a foreign national number
  must be *written like one*: grouped the way that country groups it (the library's national
  format), or unbroken and starting with the country's trunk prefix; for the caller's own
  regions any grouping counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

import phonenumbers

from .digits import Block, gap_is, tightly_joined

_PHONE_GAP = frozenset(" -.()")
_PHONE_GAP_MAX = 3
_NATIONAL_MIN, _NATIONAL_MAX = 10, 11  # every Japanese national number, trunk 0 included
_INTL_MIN, _INTL_MAX = 7, 15  # E.164 digits after "+"
_JP_IDD = "010"
_INTL_PREFIX = "00"

# Where travellers to Japan come from (JNTO's largest source markets), tried after the
# caller's own regions.
TRAVELLER_REGIONS: tuple[str, ...] = (
    "US",
    "CA",
    "GB",
    "FR",
    "DE",
    "AU",
    "KR",
    "CN",
    "TW",
    "HK",
    "SG",
    "TH",
)
_FOREIGN_MIN, _FOREIGN_MAX = 8, 13  # digits as written, trunk prefix included
_DIGIT_GROUPS = re.compile(r"[0-9]+")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Unbroken national numbers with the trunk 0: 9-11 digits (FR, AU, KR, TW, GB, TH, CN
# landlines, DE mobiles). Shorter ones collide with codes, 12 digits with My Numbers.
_UNBROKEN_MIN, _UNBROKEN_MAX = 9, 11


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


def _forms_of(first_digits: str, plus: bool) -> tuple[_Form, ...]:
    if plus:
        return (_INTERNATIONAL,)
    forms: list[_Form] = []
    # An IDD prefix must stand in its own group ("010-1-415...", "0044 20..."), possibly
    # with the country code: an unbroken "010119316316393" is an IMEI, not a call abroad.
    if first_digits.startswith(_JP_IDD) and len(first_digits) <= 3 + 3:
        forms.append(_FROM_JAPAN)
    if first_digits.startswith(_INTL_PREFIX) and len(first_digits) <= 2 + 3:
        forms.append(_FROM_ABROAD)
    if first_digits.startswith("0"):
        forms.append(_NATIONAL)
    return tuple(forms)


def _plausible(digits: str, form: _Form) -> bool:
    """Cheap pre-check before the library: no country code and no Japanese area code
    starts with 0, so "+0...", "00 0...", "010 0..." and "00..." (national) are out."""
    if form.region is not None:
        return digits[1] != "0"
    return digits[len(form.idd)] != "0"


def is_international_phone(candidate: str) -> bool:
    """True if ``candidate`` (starting with "+") is a valid number in international form."""
    return _valid(candidate, None)


def is_listed_phone(groups: list[str], plus: bool, *, unbroken: bool = True) -> bool:
    """Is this value of a list (its digit groups; ``plus``: typed after "+") a phone number,
    international or Japanese national: valid, and unbroken or grouped as its numbering
    plan groups it (``03-6425-1100``, ``+65 8154 2623``)? The grouping matters: the groups
    of a card typed by hand make a valid Japanese number now and then (``0950 0000 00``),
    and so do a card's last group and the expiry and CVV glued to it (``0290827123``:
    pass ``unbroken=False`` for a value read with glued digits cut off)."""
    digits = "".join(groups)
    if plus:
        number = _built("+" + digits, None) or _parse("+" + digits, None)
        style = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    elif digits[:1] == "0" and digits[1:2] not in ("", "0"):  # "00…" dials abroad
        number = _built(digits, "JP") or _parse(digits, "JP")
        style = phonenumbers.PhoneNumberFormat.NATIONAL
    else:
        return False
    if number is None or not phonenumbers.is_valid_number(number):
        return False
    if len(groups) == 1:
        return unbroken
    written = [len(g) for g in _DIGIT_GROUPS.findall(phonenumbers.format_number(number, style))]
    return written == [len(g) for g in groups]


def _parse(candidate: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


_COUNTRY_CODES = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _built(candidate: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """The number built straight from its digits, without the library's parser (ten times
    cheaper): the country code read off an international number (country codes are prefix
    free), or a Japanese national number without its trunk 0. None when the digits need
    the parser (a national number that keeps a leading 0, another region)."""
    digits = "".join(ch for ch in candidate if "0" <= ch <= "9")
    if region is None:
        for size in (1, 2, 3):
            code = int(digits[:size] or "0")
            if code in _COUNTRY_CODES:
                national = digits[size:]
                if not national or national[0] == "0":
                    return None
                return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        return None
    if region == "JP" and digits[:1] == "0" and digits[1:2] not in ("", "0"):
        return phonenumbers.PhoneNumber(country_code=81, national_number=int(digits[1:]))
    return None


def _valid(candidate: str, region: str | None) -> bool:
    """Valid for the numbering plans; the cheap build first, and the parser only when the
    built number is not valid (it may still strip a prefix the build did not)."""
    number = _built(candidate, region)
    if number is not None and phonenumbers.is_valid_number(number):
        return True
    return _parse(candidate, region) is not None


@functools.cache
def _plan(region: str) -> tuple[str, frozenset[int], int] | None:
    """(trunk prefix, possible national significant lengths, country code) of ``region``."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None or metadata.general_desc is None or metadata.country_code is None:
        return None
    lengths = frozenset(metadata.general_desc.possible_length or ())
    return metadata.national_prefix or "", lengths, metadata.country_code


def region_order(regions: Sequence[str]) -> tuple[str, ...]:
    """The caller's regions first, then the travellers' regions, without duplicates or JP
    (Japanese national numbers have their own rules)."""
    if not regions:
        return _DEFAULT_ORDER
    wanted = [r.upper() for r in regions if isinstance(r, str) and len(r) == 2]
    return tuple(r for r in dict.fromkeys([*wanted, *TRAVELLER_REGIONS]) if r != "JP")


_DEFAULT_ORDER = tuple(r for r in TRAVELLER_REGIONS if r != "JP")
_NONE: frozenset[str] = frozenset()


def find_phones(
    norm: str,
    blocks: list[Block],
    taken: list[bool],
    regions: Sequence[str] = (),
) -> list[tuple[int, int]]:
    """Return (span start, last block index) for each valid phone number, in order."""
    found: list[tuple[int, int]] = []
    count = len(blocks)
    hinted = frozenset(r.upper() for r in regions if isinstance(r, str)) if regions else _NONE
    order = region_order(regions)
    i = 0
    while i < count:
        hit = None
        if not taken[i]:
            hit = _phone_at(norm, blocks, taken, i)
            if hit is None:
                hit = _foreign_national_at(norm, blocks, taken, i, order, hinted)
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
    for form in _forms_of(first.digits, plus):
        hit = _window_at(norm, blocks, taken, i, begin, form)
        if hit is not None:
            return hit
    return None


def _window_at(
    norm: str, blocks: list[Block], taken: list[bool], i: int, begin: int, form: _Form
) -> tuple[int, int] | None:
    first = blocks[i]
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


def _joined(norm: str, blocks: list[Block], left: int) -> bool:
    return gap_is(norm, blocks[left].end, blocks[left + 1].start, _PHONE_GAP, _PHONE_GAP_MAX)


def _foreign_national_at(
    norm: str,
    blocks: list[Block],
    taken: list[bool],
    i: int,
    order: tuple[str, ...],
    hinted: frozenset[str],
) -> tuple[int, int] | None:
    """A national number of another country: the whole group of blocks starting at ``i``."""
    first = blocks[i]
    begin, plus = _prefix_start(norm, first.start)
    if plus or (i > 0 and _joined(norm, blocks, i - 1)):
        return None  # international form, or the middle of a longer group
    last = i
    total = len(first.digits)
    while last + 1 < len(blocks) and _joined(norm, blocks, last):
        last += 1
        if taken[last]:
            return None
        total += len(blocks[last].digits)
    if not _FOREIGN_MIN <= total <= _FOREIGN_MAX:
        return None
    end = blocks[last].end
    if (begin > 0 and norm[begin - 1] in _ASCII_LETTERS) or norm[end : end + 1] in _ASCII_LETTERS:
        return None  # glued to a word: "TK03433727" is a passport number
    digits = "".join(b.digits for b in blocks[i : last + 1])
    groups = [len(b.digits) for b in blocks[i : last + 1]]
    for region in order:
        plan = _plan(region)
        if plan is None:
            continue
        trunk, lengths, country_code = plan
        if (
            trunk == "0"
            and digits[0] != "0"
            and region not in hinted
            and not (country_code == 86 and digits[0] == "1")  # Chinese mobiles have no 0
        ):
            continue  # people write their national number with its trunk prefix
        national = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
        if len(national) not in lengths or national[0] == "0":
            continue
        if len(groups) == 1 and region not in hinted and not _may_be_unbroken(digits, trunk):
            continue
        # Built directly instead of parsed: the library's parser costs ten times more, and
        # these digits need no parsing (no letters, no extension, trunk already removed).
        number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
        if not phonenumbers.is_valid_number_for_region(number, region):
            continue
        if region in hinted or _written_like(number, groups, digits, trunk):
            return begin, last
    return None


def _may_be_unbroken(digits: str, trunk: str) -> bool:
    """The unbroken forms ``_written_like`` accepts, checked before the library is asked."""
    if trunk == "0" and digits.startswith("0"):
        return _UNBROKEN_MIN <= len(digits) <= _UNBROKEN_MAX
    return len(digits) == 11 and digits[0] == "1"  # a Chinese mobile


def _written_like(
    number: phonenumbers.PhoneNumber, groups: list[int], digits: str, trunk: str
) -> bool:
    """Grouped as the country groups it, or unbroken with the trunk prefix (or, for a
    Chinese mobile, the 11 digits starting with 1 that everyone types unbroken)."""
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    expected = [len(g) for g in _DIGIT_GROUPS.findall(national)]
    if groups == expected:
        return True
    if trunk and groups[1:] == expected and digits.startswith(trunk) and groups[0] == len(trunk):
        return True  # NANP "1 (617) 572-5961", "1-617-572-5961"
    if len(groups) == 1:
        if trunk == "0" and digits.startswith("0"):
            return _UNBROKEN_MIN <= len(digits) <= _UNBROKEN_MAX
        return number.country_code == 86 and len(digits) == 11 and digits[0] == "1"
    return False
