"""Payment card numbers: IIN (issuer prefix) + brand length + Luhn.

We decide by the number itself, never by the words around it: a Luhn-valid number whose
prefix and length belong to a card brand is masked even in odd context, because a missed
card is a broken promise (POLICY K9) while an over-masked order number costs nothing.
IMEIs (15 digits, TAC 35/01/86...), order and tracking numbers are told apart because their
prefix/length combination belongs to no brand (e.g. 15 digits is only Amex, prefix 34/37).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import pairwise

from .digits import FILLER, Block, separated, union
from .lists import SHORT_RUN, TIGHT_JOINS, ends_a_chain, is_boundary, is_tight, value_spans
from .phones import is_international_phone, is_listed_phone

# (lowest 6-digit prefix, highest 6-digit prefix, allowed lengths). Ranges overlap on
# purpose (UnionPay/Discover/RuPay share 62xxxx, 65xxxx, 81xxxx); any match is enough.
_BRANDS: tuple[tuple[str, int, int, frozenset[int]], ...] = (
    ("visa", 400000, 499999, frozenset({13, 16, 19})),
    ("mastercard", 510000, 559999, frozenset({16})),
    ("mastercard", 222100, 272099, frozenset({16})),
    ("amex", 340000, 349999, frozenset({15})),
    ("amex", 370000, 379999, frozenset({15})),
    ("jcb", 352800, 358999, frozenset(range(16, 20))),
    # Diners: 36 is 14-19 digits; Carte Blanche 300-305 and the Discover-network ranges
    # 3095/38/39 are 14 or 16-19. No Diners range is 15 digits, which keeps IMEIs out.
    ("diners", 360000, 369999, frozenset({14, 16, 17, 18, 19})),
    ("diners", 300000, 305999, frozenset({14, 16, 17, 18, 19})),
    ("diners", 309500, 309599, frozenset({14, 16, 17, 18, 19})),
    ("diners", 380000, 399999, frozenset({14, 16, 17, 18, 19})),
    ("discover", 601100, 601199, frozenset(range(16, 20))),
    ("discover", 644000, 659999, frozenset(range(16, 20))),
    ("unionpay", 620000, 629999, frozenset(range(16, 20))),
    ("unionpay", 810000, 817199, frozenset(range(16, 20))),
    # Maestro (European visitors' debit cards). 12-digit Maestro numbers exist on paper
    # only; leaving 12 out avoids colliding with My Numbers and Japanese tracking numbers.
    ("maestro", 501800, 501899, frozenset(range(13, 20))),
    ("maestro", 502000, 502099, frozenset(range(13, 20))),
    ("maestro", 503800, 503899, frozenset(range(13, 20))),
    ("maestro", 589300, 589399, frozenset(range(13, 20))),
    ("maestro", 630400, 630499, frozenset(range(13, 20))),
    ("maestro", 675900, 675999, frozenset(range(13, 20))),
    ("maestro", 676100, 676399, frozenset(range(13, 20))),
    # RuPay (Indian visitors; accepted in Japan through the JCB/Discover networks).
    ("rupay", 600000, 609999, frozenset({16})),
    ("rupay", 508000, 508999, frozenset({16})),
    ("rupay", 810000, 829999, frozenset({16})),
)
# Cheap first filter: no brand starts with 0, 1, 7 or 9.
_FIRST_DIGITS = frozenset("234568")
MIN_LEN = 13
MAX_LEN = 19

# Digit value after Luhn doubling: 2*d, minus 9 when that exceeds 9.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)

# A card may be glued to other digits: a stray digit or two typed before it, an expiry date,
# a CVV or a stray digit after it ("…111112/27" is a separator, "…11111227" is not). Only
# these shapes are read inside a block, and only where the block keeps a card's group of 4
# (or a whole card) before, at least _GROUP_MIN digits after (any number before "/"):
#   before: 1 or 2 digits;  after: 1 digit, a 3-digit CVV, MMYY (month 01-12), MMYY and a
#   CVV, MM followed by "/" (…12/27), or a year 2020-2049 followed by "/MM" (…2027/07).
# Readings inside a block need _INNER_MIN_LEN digits; Visa-13 (no longer issued) only with
# glued digits on one side, as 2 digits after it are the shape of every IMEI with TAC 49.
_STRAY_BEFORE = (1, 2)
_GROUP_MIN = 3
_FIRST_GROUP = 4
_GROUP_MAX = 6
_INNER_MIN_LEN = 14
_MONTHS = frozenset(f"{m:02d}" for m in range(1, 13))
# A card typed one group per list item ("4903\n0789\n7541\n9215") may be glued, by a
# tight join or by nothing, to the value before or after it ("6/12-4903", "…\n7493" +
# "22/04/2025"): a group of 4 cut off the end of the block before it, of 4 or 5 (Amex's
# last) off the start of the block after it. Read only where every item between them is
# one group of _LISTED_GROUP_MIN to _GROUP_MAX digits (_Values.one_group_each).
_LISTED_FIRST = 4
_LISTED_LAST = (4, 5)
_LISTED_GROUP_MIN = 3


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = ord(ch) - 48
        total += _DOUBLED[value] if position & 1 else value
    return total % 10 == 0


def is_japanese_barcode(digits: str) -> bool:
    """A Japanese product's EAN-13 (GS1 Japan: 45, 49) with its check digit (weights 1, 3,
    1, 3, …). One in ten is also a Luhn-valid Visa-13 — a length Visa no longer issues —
    and customers sending shopping lists type them; the barcode wins."""
    if digits[:2] not in ("45", "49"):
        return False
    total = sum((3 if k & 1 else 1) * (ord(ch) - 48) for k, ch in enumerate(digits[:12]))
    return (ord(digits[12]) - 48) == -total % 10


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` Luhn-valid (used by tests and the corpus)."""
    for candidate in "0123456789":
        if luhn_valid(partial + candidate):
            return candidate
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def _brand_at(prefix: int, length: int) -> str | None:
    for name, low, high, lengths in _BRANDS:
        if low <= prefix <= high and length in lengths:
            return name
    return None


def brand_of(digits: str) -> str | None:
    """The brand whose IIN range and length fit ``digits`` (no Luhn check), else None."""
    length = len(digits)
    if not MIN_LEN <= length <= MAX_LEN:
        return None
    return _brand_at(int(digits[:6]), length)


def is_card_number(digits: str) -> bool:
    return brand_of(digits) is not None and luhn_valid(digits)


def _typed_as_phone(norm: str, start: int, end: int) -> bool:
    """ "+49 1512 3451200" is Luhn-valid Visa-13 by chance; the "+" and a valid numbering
    plan make it a phone number. Nobody types "+" in front of a card number."""
    return start > 0 and norm[start - 1] == "+" and is_international_phone(norm[start - 1 : end])


def _short_glued(left_before: int, left_after: int) -> bool:
    """May a 13-digit reading have these glued digits around it? One side only, and after
    it only an expiry or a CVV."""
    if left_after == 0:
        return True
    return left_before == 0 and left_after >= 2


def _inner_reading_ok(
    bounds: list[tuple[int, int]], s: int, e: int, left_before: int, left_after: int
) -> bool:
    """A reading that leaves glued digits in a block: long enough, and shaped like a card
    with something glued to it. Order numbers are grouped 3-7-7 (Amazon) or 6-8-10
    (Rakuten, with a date in the middle): no stray digit is cut off them. Accepted:

    * the reading lies inside one block (an unbroken card with glued digits);
    * every block it touches gives it at most _GROUP_MAX digits, as in every way of
      grouping a card by hand (4-4-4-4, 4-6-5, random groups of 1-6), so a stray digit
      or an expiry may be glued to a group of any size, even one digit;
    * a stray digit cut off a first group of 4 or an expiry/CVV cut off a last group
      leaving at least _GROUP_MIN digits, with every block strictly inside it a group of
      at most _GROUP_MAX digits (an 8-8 card with its expiry glued on).
    """
    length = e - s
    if length < _INNER_MIN_LEN and not _short_glued(left_before, left_after):
        return False
    first = bisect_right(bounds, (s, len(bounds) * 99)) - 1  # block holding the first digit
    last = bisect_left(bounds, (e, -1)) - 1  # block holding the last digit
    while bounds[last][0] >= e:
        last -= 1
    if first == last:
        return True
    if all(
        min(b_end, e) - max(b_start, s) <= _GROUP_MAX for b_start, b_end in bounds[first : last + 1]
    ):
        return True
    if left_before and bounds[first][1] - s != _FIRST_GROUP:
        return False
    if left_after and e - bounds[last][0] < _GROUP_MIN:
        return False
    return all(b_end - b_start <= _GROUP_MAX for b_start, b_end in bounds[first + 1 : last])


def _glued_after(norm: str, block: Block) -> list[int]:
    """How many digits at the end of ``block`` may be an expiry, CVV or stray digit. The
    rules look at the block only, never at its place in the chain, so that masking a card
    never makes a new reading possible (masking is idempotent)."""
    digits = block.digits
    size = len(digits)
    counts = [1, 3]
    if digits[size - 4 : size - 2] in _MONTHS:
        counts.append(4)
    if digits[size - 7 : size - 5] in _MONTHS:
        counts.append(7)  # MMYY and the CVV
    if digits[size - 2 :] in _MONTHS and norm.startswith("/", block.end):
        counts.append(2)
    if _YEAR_THEN_MONTH.match(norm, block.end - 4):
        counts.append(4)  # the year of a year-first expiry: "…44582027/07"
    return [m for m in counts if size - m >= 1]


_YEAR_THEN_MONTH = re.compile(r"20[2-4][0-9][-/.](?:0?[1-9]|1[0-2])(?![0-9])")


_MASK_HEAD = "[card ••••"


def _is_mask(norm: str, block: Block) -> bool:
    """The last four digits shown by a mask we wrote ("[card ••••1111]")."""
    return (
        block.start > 0
        and norm[block.start - 1] == "•"
        and len(block.digits) == 4
        and norm.startswith(_MASK_HEAD, block.start - len(_MASK_HEAD))
        and norm.startswith("]", block.end)
    )


def _chains(norm: str, blocks: list[Block]) -> list[tuple[int, int]]:
    """(first, last) block indices of each maximal run of blocks joined by separators.
    The digits of a mask are never part of a chain, so masking is idempotent."""
    chains: list[tuple[int, int]] = []
    first = 0
    for k in range(1, len(blocks) + 1):
        if (
            k == len(blocks)
            or not separated(norm, blocks[k - 1].end, blocks[k].start)
            or ends_a_chain(norm[blocks[k - 1].end : blocks[k].start])
            or _is_mask(norm, blocks[k])
            or _is_mask(norm, blocks[k - 1])
        ):
            if not _is_mask(norm, blocks[k - 1]):
                chains.append((first, k - 1))
            first = k
    return chains


def find_cards(norm: str, blocks: list[Block]) -> list[tuple[int, int]]:
    """Return the (start, end) skeleton span of each card, merged, in order."""
    spans: list[tuple[int, int]] = []
    values: list[tuple[int, int]] | None = None
    for first, last in _chains(norm, blocks):
        chain = blocks[first : last + 1]
        if sum(len(b.digits) for b in chain) >= MIN_LEN:
            if values is None:
                values = value_spans(norm)
            spans.extend(_cards_in_chain(norm, chain, values))
    return spans


class _Values:
    """The list structure of one chain, in digit offsets (``lists.py``): which value each
    block belongs to, and which digits belong to a time range or a date."""

    def __init__(self, norm: str, chain: list[Block], values: list[tuple[int, int]]) -> None:
        # What a reading of the text put in place of a tag has no width (markup.py).
        runs = [norm[a.end : b.start].replace(FILLER, "") for a, b in pairwise(chain)]
        self.norm, self.chain, self.runs = norm, chain, runs
        self._phones: dict[tuple[int, bool], bool] = {}
        self.value: list[int] = [0]  # the value each block belongs to
        self.heads = [0]  # the first block of each value, and one past the last block
        for k, run in enumerate(runs):
            before = runs[k - 1] if k else None
            after = runs[k + 1] if k + 1 < len(runs) else None
            if is_boundary(run, before, after):
                self.heads.append(k + 1)
            self.value.append(len(self.heads) - 1)
        self.heads.append(len(chain))
        self.taken = [0]  # digits of a time range or a date before each digit offset
        for block in chain:
            for index in range(block.start, block.end):
                k = bisect_right(values, (index, len(norm) + 1)) - 1
                inside = k >= 0 and values[k][0] <= index < values[k][1]
                self.taken.append(self.taken[-1] + inside)

    def holds_a_phone(
        self, first: int, last: int, cut_first: bool, cut_last: bool, *, expiry: bool
    ) -> bool:
        """Is one of the values from block ``first``'s to block ``last``'s a phone number
        (``phones.is_listed_phone``)? Then this is a list of phone numbers, and a reading
        across it no card. A value the reading cuts glued digits off must be grouped as
        a phone number is to count, and a last value whose rest is the card's ``expiry``
        does not (``…0493 = 12/2027`` is no Saitama number 0493-12-2027)."""
        for value in range(self.value[first], self.value[last] + 1 - expiry):
            cut = (value == self.value[first] and cut_first) or (
                value == self.value[last] and cut_last
            )
            if (value, cut) not in self._phones:
                blocks = self.chain[self.heads[value] : self.heads[value + 1]]
                head = blocks[0].start
                self._phones[value, cut] = is_listed_phone(
                    [block.digits for block in blocks],
                    head > 0 and self.norm[head - 1] == "+",
                    unbroken=not cut,
                )
            if self._phones[value, cut]:
                return True
        return False

    def no_card(self, s: int, e: int) -> bool:
        return self.taken[e] > self.taken[s]

    def evenly_apart(self, first: int, last: int, *, cut: bool) -> bool:
        """A reading with a separator run longer than SHORT_RUN between its blocks must
        have the same run between all of them, as a person spacing a card out types it
        (``4242         4242         …``, a row of emoji), and take its blocks whole: a
        padded table or a list of times with lines between them has runs of many lengths,
        and a right-aligned column of 4-digit values holds a Visa-13 with a glued CVV."""
        runs = self.runs[first:last]
        if all(len(run) <= SHORT_RUN for run in runs):
            return True
        return not cut and len(set(runs)) == 1

    def across(self, first: int, last: int) -> bool:
        return self.value[first] != self.value[last]

    def one_group_each(
        self, first: int, last: int, parts: list[int], cut_first: bool, cut_last: bool
    ) -> bool:
        """Is the reading from block ``first`` to block ``last`` a card typed one group per
        list item, each block a value of its own giving it _LISTED_GROUP_MIN to _GROUP_MAX
        digits (``parts``)? Then its first and last groups may be glued to the values
        around it (``6/12-4903\n0789\n7541\n9215``, ``…、7221-10:00-11:30``) — unless one
        of those is a phone number (``03-1234-5678、…``: a list of phone numbers)."""
        return (
            last - first >= 2
            and not any(is_tight(run) for run in self.runs[first:last])
            and all(_LISTED_GROUP_MIN <= part <= _GROUP_MAX for part in parts)
            and not self.holds_a_phone(first, last, cut_first, cut_last, expiry=False)
        )

    def typed_across(
        self, first: int, last: int, end: int, cut_first: bool, cut_last: bool
    ) -> bool:
        """May a reading across values begin at block ``first`` and end in block ``last``
        (at skeleton index ``end``), taking no phone number on the way?"""
        ending = self.ends_value(last, end, cut_last)
        return (
            ending is not None
            and self.begins_value(first, cut_first)
            and not self.holds_a_phone(first, last, cut_first, cut_last, expiry=ending == "expiry")
        )

    def begins_value(self, first: int, cut: bool) -> bool:
        """May a reading across values begin at block ``first``? Where a value begins (a
        stray digit may be cut off there); or, read whole, after anything but the tight
        join inside a phone number, a date or a code (``03-9519-6503``: not at ``9519``)
        or the colon of a time (``10:30``: not at ``30``). So a list number or a label
        before the card stays outside it: ``1. 4111、…``, ``カード1：4111、…``."""
        if first == 0 or self.value[first - 1] != self.value[first]:
            return True
        if cut:
            return False
        run = self.runs[first - 1]
        if run in TIGHT_JOINS:
            return False
        return run != ":" or not self._time_at(first - 1)

    def ends_value(self, last: int, end: int, cut: bool) -> str | None:
        """May a reading across values end in block ``last`` (at skeleton index ``end``)?
        "end" where a value ends; "expiry" where what follows in the value is an expiry,
        perhaps with a CVV (``…111112/27 123``, ``…1111（12/27）``, ``…1111/12/27``);
        "apart", read whole, before anything but a tight join or the colon of a time
        (``03-4683-7683``: not at ``4683``; ``…, 10:30``: not at ``10``); else None."""
        if self._value_last(last):
            return "end"
        rest = self.norm[end : self.chain[self.heads[self.value[last] + 1] - 1].end]
        if _expiry_tail(rest):
            return "expiry"
        if cut or self.runs[last] in TIGHT_JOINS:
            return None
        return "apart" if self.runs[last] != ":" or not self._time_at(last) else None

    def _time_at(self, hour: int) -> bool:
        """Are blocks ``hour`` and ``hour + 1`` (joined by ":") a time of day?"""
        before, after = self.chain[hour].digits, self.chain[hour + 1].digits
        return len(before) <= 2 and int(before) <= 24 and _MINUTES.fullmatch(after) is not None

    def _value_last(self, block: int) -> bool:
        return block == len(self.runs) or self.value[block + 1] != self.value[block]


_MINUTES = re.compile(r"[0-5][0-9]")
# What may follow a card inside its value: its expiry — month and year in either order
# (``12/27``, ``1227``, ``2027/12``, ``27-12``, ``2027年12月`` reads ``2027 12``) — perhaps
# with a CVV or a day after it; a CVV alone after a slash (``…1111/123``); the year alone
# (``…1111-2027年12月``: the chain ends at 年); or one or two stray digits. At most seven
# digits, nine with a four-digit year: the rest of a phone or
# tracking number is longer (``03-|1234-5678``) or is a CVV-like group after a hyphen
# (``03-4683-|7683``, ``1142-2831-|545``), which is not taken.
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:20[2-4][0-9]|[2-4][0-9])"
_EXPIRY_TAIL = re.compile(
    rf"[^0-9]{{0,3}}(?:(?:{_MONTH}[^0-9]{{0,3}}{_YEAR}|{_YEAR}[^0-9]{{0,3}}{_MONTH})"
    rf"(?:[^0-9]{{0,3}}[0-9]{{2,4}})?|(?<=/)[0-9]{{3,4}}|20[2-4][0-9]|[0-9]{{1,2}})[^0-9]{{0,3}}"
)
_LONG_YEAR = re.compile(r"(?<![0-9])20[2-4][0-9](?![0-9])")


def _expiry_tail(rest: str) -> bool:
    if _EXPIRY_TAIL.fullmatch(rest) is None:
        return False
    digits = sum(ch.isdigit() for ch in rest)
    return digits <= 7 or (digits <= 9 and _LONG_YEAR.search(rest) is not None)


def _cards_in_chain(
    norm: str, chain: list[Block], values: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Every window of the chain's digits that starts at a block start (or after a stray
    digit or two) and ends at a block end (or before an expiry, a CVV or a stray digit)
    and is a card — and, in a list of values, does not start or end inside one."""
    digits = "".join(b.digits for b in chain)
    position: list[int] = []  # skeleton index of each digit
    # (start, digits of its block before it, only as a listed group's start)
    starts: list[tuple[int, int, bool]] = []
    ends: list[tuple[int, int, bool]] = []  # (end, digits of its block after it, listed only)
    bounds: list[tuple[int, int]] = []  # (start, end) of each block in ``digits``
    offset = 0
    for block in chain:
        size = len(block.digits)
        bounds.append((offset, offset + size))
        position.extend(range(block.start, block.end))
        starts.append((offset, 0, False))
        # A stray digit is cut off a card's first group of 4, or off a whole-card run
        # ("541111111111111111"); never off "2024|0212" in the middle of an order number.
        starts.extend(
            (offset + k, k, False)
            for k in _STRAY_BEFORE
            if 0 < size - k <= _GROUP_MAX or size - k >= MIN_LEN
        )
        if size > _LISTED_FIRST:
            starts.append((offset + size - _LISTED_FIRST, size - _LISTED_FIRST, True))
        ends.append((offset + size, 0, False))
        ends.extend((offset + size - m, m, False) for m in _glued_after(norm, block))
        ends.extend((offset + g, size - g, True) for g in _LISTED_LAST if size > g)
        offset += size
    ends.sort()
    end_keys = [e for e, _, _ in ends]
    block_starts = [b for b, _ in bounds]
    structure: _Values | None = None  # built for the first reading that is a card number
    total = len(digits)
    aligned_hits: list[tuple[int, int]] = []
    inner_hits: list[tuple[int, int]] = []
    for s, left_before, listed_start in starts:
        if total - s < MIN_LEN or digits[s] not in _FIRST_DIGITS:
            continue
        prefix = int(digits[s : s + 6])
        k = bisect_left(end_keys, s + MIN_LEN)
        while k < len(ends) and ends[k][0] - s <= MAX_LEN:
            e, left_after, listed_end = ends[k]
            k += 1
            listed_only = listed_start or listed_end
            aligned = left_before == 0 and left_after == 0
            length = e - s
            if (
                not aligned
                and not listed_only
                and not _inner_reading_ok(bounds, s, e, left_before, left_after)
            ):
                continue
            if _brand_at(prefix, length) is None or not luhn_valid(digits[s:e]):
                continue
            if length == 13 and is_japanese_barcode(digits[s:e]):
                continue
            if structure is None:
                structure = _Values(norm, chain, values)
            if structure.no_card(s, e):
                continue
            first = bisect_right(block_starts, s) - 1
            last = bisect_right(block_starts, e - 1) - 1
            if not structure.evenly_apart(first, last, cut=left_before > 0 or left_after > 0):
                continue
            cut_first, cut_last = left_before > 0, left_after > 0
            if (listed_only or structure.across(first, last)) and not (
                not listed_only
                and structure.typed_across(first, last, position[e - 1] + 1, cut_first, cut_last)
            ):
                # Read as one group per list item: only whole blocks, or the groups cut
                # off a block for that reading (never a stray digit or an expiry).
                if (cut_first and not listed_start) or (cut_last and not listed_end):
                    continue
                parts = [
                    min(b_end, e) - max(b_start, s) for b_start, b_end in bounds[first : last + 1]
                ]
                if not structure.one_group_each(first, last, parts, cut_first, cut_last):
                    continue
            span = (position[s], position[e - 1] + 1)
            if aligned:
                if not _typed_as_phone(norm, span[0], span[1]):
                    aligned_hits.append((s, e))
            else:
                inner_hits.append((s, e))
    # Every reading is kept and overlapping ones are merged: when a stray digit or an
    # expiry makes two readings possible, masking their union can only over-mask.
    return [(position[s], position[e - 1] + 1) for s, e in union(aligned_hits + inner_hits)]
