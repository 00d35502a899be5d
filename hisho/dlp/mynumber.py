"""Japan's Individual Number (マイナンバー): 12 digits, the last a mod-11 check digit.

The check digit only rejects ~9 in 10 random numbers, and 12-digit numbers are common in
Japan (Yamato, Sagawa and Japan Post tracking numbers are 12 digits written 4-4-4). So a
checksum-valid number is reported unless the words just before it say it is a tracking,
order or booking reference and nothing says "My Number". Without any context we report it:
a redacted tracking number costs less than a leaked My Number.
"""

from __future__ import annotations

from .digits import Block, gap_is
from .normalize import normalize

_GROUP_GAP = frozenset(" -.")
_CONTEXT_BEFORE = 40
_CONTEXT_AFTER = 30

_POSITIVE = (
    "マイナンバー",
    "個人番号",
    "my number",
    "mynumber",
    "my-number",
    "individual number",
)
_NEGATIVE = (
    "追跡",
    "伝票",
    "問い合わせ番号",
    "問合せ番号",
    "お問合せ",
    "送り状",
    "荷物番号",
    "配送",
    "ヤマト",
    "佐川",
    "ゆうパック",
    "郵便",
    "注文",
    "予約",
    "受付番号",
    "会員",
    "tracking",
    "track",
    "waybill",
    "parcel",
    "package",
    "shipment",
    "delivery",
    "yamato",
    "sagawa",
    "japan post",
    "order",
    "booking",
    "reservation",
    "confirmation",
    "invoice",
    "member",
)


def check_digit(first_eleven: str) -> int:
    """Check digit defined by the ordinance on the Individual Number (Article 5)."""
    total = 0
    for n in range(1, 12):
        p = ord(first_eleven[11 - n]) - 48  # n-th digit counting from the right
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_my_number(digits: str) -> bool:
    return (
        len(digits) == 12
        and digits.isascii()
        and digits.isdigit()
        and (check_digit(digits[:11]) == ord(digits[11]) - 48)
    )


# The context is read on the skeleton, where "ー" has become "-": fold the words the same way
# ("マイナンバー" is matched as "マイナンバ-").
_POSITIVE_FOLDED = tuple(normalize(word) for word in _POSITIVE)
_NEGATIVE_FOLDED = tuple(normalize(word) for word in _NEGATIVE)


def is_tracking_number(digits: str) -> bool:
    """Yamato, Sagawa and Japan Post parcel numbers: 12 digits, the last one the first
    eleven read as a number modulo 7."""
    return len(digits) == 12 and int(digits[:11]) % 7 == ord(digits[11]) - 48


def _context_says_not_my_number(
    norm: str, start: int, end: int, digits: str, *, cautious: bool
) -> bool:
    # "Reference 1234-5678-9012 from Japan Post": the hint may also follow the number.
    around = (
        norm[max(0, start - _CONTEXT_BEFORE) : start] + " " + norm[end : end + _CONTEXT_AFTER]
    ).lower()
    if any(word in around for word in _POSITIVE_FOLDED):
        return False
    if any(word in around for word in _NEGATIVE_FOLDED):
        return True
    # No word either way. A number that also passes the carriers' check digit is taken for
    # a parcel number: a bare parcel number ("これです 4957 8232 6480") passes the My
    # Number check 1 time in 11, a bare My Number the parcel check 1 time in 7, and parcel
    # numbers are pasted far more often. Redaction for triage is cautious and hides it
    # anyway: a coordinator needs neither.
    return not cautious and is_tracking_number(digits)


def _joined(norm: str, blocks: list[Block], left: int) -> bool:
    """True if blocks[left] and blocks[left + 1] belong to one group of digits."""
    if left < 0 or left + 1 >= len(blocks):
        return False
    return gap_is(norm, blocks[left].end, blocks[left + 1].start, _GROUP_GAP, 3)


def find_my_numbers(
    norm: str, blocks: list[Block], taken: list[bool], *, cautious: bool = False
) -> list[tuple[int, int]]:
    """Return (first, last) block indices. Accepted shapes: one 12-digit block or 4-4-4,
    and only as a whole group (no digit block joined to it by a space, hyphen or dot).
    ``cautious``: also a bare number that passes the parcel check digit too."""
    found: list[tuple[int, int]] = []
    count = len(blocks)
    i = 0
    while i < count:
        last = -1
        block = blocks[i]
        if not taken[i]:
            if len(block.digits) == 12:
                last = i
            elif (
                len(block.digits) == 4
                and i + 2 < count
                and not taken[i + 1]
                and not taken[i + 2]
                and len(blocks[i + 1].digits) == 4
                and len(blocks[i + 2].digits) == 4
                and gap_is(norm, block.end, blocks[i + 1].start, _GROUP_GAP, 3)
                and gap_is(norm, blocks[i + 1].end, blocks[i + 2].start, _GROUP_GAP, 3)
            ):
                last = i + 2
        if (
            last >= 0
            # "+819012345678" is a phone number in international form, not a My Number.
            and not (block.start > 0 and norm[block.start - 1] == "+")
            # Only a whole group: "1234 5678 9012 3456" is a 16-digit reference, and
            # its first twelve digits are not a My Number.
            and not _joined(norm, blocks, i - 1)
            and not _joined(norm, blocks, last)
        ):
            digits = "".join(b.digits for b in blocks[i : last + 1])
            if is_my_number(digits) and not _context_says_not_my_number(
                norm, block.start, blocks[last].end, digits, cautious=cautious
            ):
                found.append((i, last))
                i = last + 1
                continue
        i += 1
    return found
