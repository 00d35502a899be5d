"""Letters typed for digits: ``4111 1lll 1lll 1111``, ``4O42 4242 …``, ``4242 42Z2 …``.

A customer hiding a card from the detector can type a letter that looks like a digit —
``O`` or ``o`` for 0, ``l`` or ``I`` for 1, ``Z`` for 2, ``S`` for 5, ``B`` for 8 — and a
letter ends a number for the card detector. Here a *token* (a run of ASCII letters and
digits) is read as a number when it is made only of digits and such letters and either
uses only the letters for 1 and 0 (``1lll``, ``lll3``, ``4O42``) or has ``Z``, ``S`` or
``B`` after a digit among two or more (``42Z2``); a letter before the digits is a code's
prefix (``S9941``, ``B3``). A token of 3–6 letters for 1 and 0 only (a group's size) is
read when a separator run joins it to such a token or to digits (``4111 llll llll
llll``). The card detector then reads the folded text, and a card it finds there counts
only if it takes a folded letter and no card typed in digits stands there (``__init__``).
A token with any other letter (``Oslo``), or a word of such letters (``SOS``), stays a word.
"""

from __future__ import annotations

import re

from .digits import separated

_DIGIT_FOR = str.maketrans("OolIZSB", "0011258")
_FOLDABLE = frozenset("0123456789OolIZSB")
_LETTERS = "OolIZSB"
_ONES_AND_ZEROS = frozenset("OolI")
_GROUP_MIN, _GROUP_MAX = 3, 6
# The cheap first test: a look-alike letter next to a digit, or a token of 3-6 of them.
_HINT = re.compile(
    rf"[0-9][{_LETTERS}]|[{_LETTERS}][0-9]"
    rf"|(?<![A-Za-z0-9])[{_LETTERS}]{{{_GROUP_MIN},{_GROUP_MAX}}}(?![A-Za-z0-9])"
)
_TOKEN = re.compile(r"[0-9A-Za-z]+")


def fold(norm: str) -> tuple[str, list[int]] | None:
    """``norm`` with the look-alike letters of number tokens read as digits, and the
    indices of the letters folded; None when there is nothing to fold."""
    if _HINT.search(norm) is None:
        return None
    tokens = list(_TOKEN.finditer(norm))
    # 2: digits only; 1: digits and look-alikes, a look-alike after a digit; 0: a group's
    # size of the look-alikes for 1 and 0 only; -1: anything else (a word, or a code).
    kinds: list[int] = []
    for token in tokens:
        text = token.group()
        if text.isdigit():
            kinds.append(2)
        elif not set(text) <= _FOLDABLE:
            kinds.append(-1)
        elif any(ch.isdigit() for ch in text):
            # The letters for 1 and 0 anywhere (4lll, lll3, 4O42). The others (Z, S, B)
            # only among two or more digits (those letters counted) and not before them:
            # a letter before the
            # digits is a code's prefix — seats, lockers, exits, models (S24, SB9587, B3,
            # Z6II, B2B) — and a hider puts them among the digits (42Z2, 45S5).
            letters = {ch for ch in text if not ch.isdigit()}
            after_a_digit = text.lstrip(_LETTERS)
            prefix = text[: len(text) - len(after_a_digit)]
            among_digits = any(ch in _LETTERS for ch in after_a_digit)
            digits = sum(ch.isdigit() or ch in _ONES_AND_ZEROS for ch in text)
            kinds.append(
                1
                if letters <= _ONES_AND_ZEROS
                or (among_digits and digits >= 2 and not set(prefix) - _ONES_AND_ZEROS)
                else -1
            )
        else:
            # Words of such letters (SOS, IBIS, BOSS, ZOO) stay words; a group typed with
            # the letters for 1 and 0 (llll, IIII, lOlO) is none.
            ones_and_zeros = set(text) <= _ONES_AND_ZEROS
            kinds.append(0 if ones_and_zeros and _GROUP_MIN <= len(text) <= _GROUP_MAX else -1)
    # A token of look-alikes only is a group when a separator run joins it to a token of
    # digits, directly or through other such groups ("4111 llll llll llll"): one pass
    # each way.
    number = [kind > 0 for kind in kinds]
    for order in (range(1, len(tokens)), range(len(tokens) - 2, -1, -1)):
        for k in order:
            near = k - 1 if order.step == 1 else k + 1
            if kinds[k] == 0 and not number[k] and number[near]:
                first, second = (near, k) if near < k else (k, near)
                number[k] = separated(norm, tokens[first].end(), tokens[second].start())
    chars = list(norm)
    folded: list[int] = []
    for k, token in enumerate(tokens):
        if number[k] and kinds[k] < 2:
            for index in range(token.start(), token.end()):
                if not chars[index].isdigit():
                    chars[index] = chars[index].translate(_DIGIT_FOR)
                    folded.append(index)
    return ("".join(chars), folded) if folded else None


def fold_span(span: str) -> str:
    """A card's span with its look-alike letters read as digits (for the mask's last four)."""
    result = fold(span)
    return span if result is None else result[0]
