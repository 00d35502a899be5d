"""Payment card numbers: IIN (issuer prefix) + brand length + Luhn.

We decide by the number itself, never by the words around it: a Luhn-valid number whose
prefix and length belong to a card brand is masked even in odd context, because a missed
card is a broken promise (POLICY K9) while an over-masked order number costs nothing.
IMEIs (15 digits, TAC 35/01/86...), order and tracking numbers are told apart because their
prefix/length combination belongs to no brand (e.g. 15 digits is only Amex, prefix 34/37).
"""

from __future__ import annotations

from .digits import Block, gap_is
from .phones import is_international_phone

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

# Separators people type between card digit groups (after normalisation, so full-width
# spaces/hyphens/dots/commas are included). Up to three of them: "4111 - 1111", "4111\n1111".
# Generous on purpose: a wider net only risks masking a number that was not a card.
_CARD_GAP = frozenset(" \t\r\n-._,/")
_CARD_GAP_MAX = 3


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = ord(ch) - 48
        total += _DOUBLED[value] if position & 1 else value
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` Luhn-valid (used by tests and the corpus)."""
    for candidate in "0123456789":
        if luhn_valid(partial + candidate):
            return candidate
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def brand_of(digits: str) -> str | None:
    """The brand whose IIN range and length fit ``digits`` (no Luhn check), else None."""
    length = len(digits)
    if not MIN_LEN <= length <= MAX_LEN:
        return None
    prefix = int(digits[:6])
    for name, low, high, lengths in _BRANDS:
        if low <= prefix <= high and length in lengths:
            return name
    return None


def is_card_number(digits: str) -> bool:
    return brand_of(digits) is not None and luhn_valid(digits)


def _typed_as_phone(norm: str, start: int, end: int) -> bool:
    """ "+49 1512 3451200" is Luhn-valid Visa-13 by chance; the "+" and a valid numbering
    plan make it a phone number. Nobody types "+" in front of a card number."""
    return start > 0 and norm[start - 1] == "+" and is_international_phone(norm[start - 1 : end])


def find_cards(norm: str, blocks: list[Block]) -> list[tuple[int, int]]:
    """Return (first block index, last block index) of each card, merged, in order.

    Every start block and every block-aligned end is tried (at most 19 blocks per start,
    since each block holds a digit), and all hits are kept: when two readings overlap, the
    union is masked. This is what makes recall independent of how the digits were grouped.
    """
    hits: list[tuple[int, int]] = []
    count = len(blocks)
    for i in range(count):
        digits = blocks[i].digits
        if digits[0] not in _FIRST_DIGITS:
            continue
        j = i
        while len(digits) <= MAX_LEN:
            if (
                len(digits) >= MIN_LEN
                and is_card_number(digits)
                and not _typed_as_phone(norm, blocks[i].start, blocks[j].end)
            ):
                hits.append((i, j))
            j += 1
            if j >= count or not gap_is(
                norm, blocks[j - 1].end, blocks[j].start, _CARD_GAP, _CARD_GAP_MAX
            ):
                break
            digits += blocks[j].digits
    merged: list[tuple[int, int]] = []
    for first, last in hits:  # already sorted by first block
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
