"""Cards written with words: digits spelled out, a word between the groups, a numbered list.

The card detector (``cards.py``) reads chains of digit blocks joined by separators, and a
letter always ends a number there (a word between two numbers makes them two numbers). A
customer hiding a card from it writes letters on purpose:

* **digits spelled out**, in English or in Japanese kana, perhaps mixed with digits:
  ``four two four two, four two four two, …``, ``よんにーよんにー…``, ``4242 four two four two …``;
* **a word between the groups**: ``4242x4242x4242x4242``, ``4242 and 4242 and 4242 and
  4242``, ``4242と4242と4242と4242``;
* **a numbered list**, one group per line: ``1. 4242\n2. 4242\n3. 4242\n4. 4242`` (the
  card detector reads the line numbers as digits of the chain).

Here a *run* is a sequence of tokens — a digit block, or a number word standing for one
digit — with nothing or a short separator run between them, or a short joining word
between two digit blocks of a card's group size. A card is a window of whole tokens whose
digits have a brand's prefix and length and pass Luhn, and which holds a number word or a
joining word: what has neither is the card detector's (its rules for lists, phone numbers
and dates stay whole). Ordinary text has no run of thirteen number words, and a word
between four groups of digits that make a valid card is nobody's schedule; the price is
masking such a list when it happens to be Luhn-valid (docs/dlp.md, "Written with words").

One regex pass per text over its number words and digit blocks; each window tried is
bounded (at most 19 digits), so the work stays linear.
"""

from __future__ import annotations

import re
from itertools import pairwise

from .cards import MAX_LEN, MIN_LEN, brand_of, is_japanese_barcode, luhn_valid
from .digits import SEPARATOR_MAX, Block, separated

_ENGLISH = {
    "zero": "0", "oh": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
# Kana readings of the digits (hiragana and katakana). The long forms of reading a number
# aloud (にー, ごー, きゅー) need no entry of their own: the skeleton folds "ー" to "-", a
# separator, which leaves "に", "ご" and "きゅ".
_KANA = {
    "ぜろ": "0", "れい": "0", "まる": "0", "いち": "1", "に": "2", "さん": "3",
    "よん": "4", "し": "4", "ご": "5", "ろく": "6", "なな": "7", "しち": "7",
    "はち": "8", "きゅう": "9", "きゅ": "9", "く": "9",
}  # fmt: skip
_KATAKANA_SHIFT = ord("ア") - ord("あ")


def _katakana(word: str) -> str:
    return "".join(chr(ord(ch) + _KATAKANA_SHIFT) if "ぁ" <= ch <= "ゖ" else ch for ch in word)


_WORDS: dict[str, str] = {
    **_ENGLISH,
    **_KANA,
    **{_katakana(word): digit for word, digit in _KANA.items()},
}
_JAPANESE_WORDS = sorted((w for w in _WORDS if w not in _ENGLISH), key=len, reverse=True)
_TOKEN = re.compile(
    r"(?P<digits>[0-9]+)"
    rf"|(?<![A-Za-z])(?P<english>{'|'.join(sorted(_ENGLISH, key=len, reverse=True))})(?![A-Za-z])"
    rf"|(?P<kana>{'|'.join(_JAPANESE_WORDS)})",
    re.IGNORECASE,
)
# A word between two groups of digits: one to five Latin letters ("x", "and", "then") or
# one or two kana or kanji ("と", "の", "から"), perhaps with a space on either side.
_JOINING_WORD = re.compile(r"[ ]?(?:[A-Za-z]{1,5}|[\u3041-\u30ff\u4e00-\u9fff]{1,2})[ ]?")
_GROUP_MIN, _GROUP_MAX = 3, 6
# The first test of a text: three number words in a row (a card written with words spells
# at least one of its groups out, and no group has fewer than three digits). It runs on the
# text in lower case: with IGNORECASE the regex took five times as long, more than the rest
# of the detector on ordinary text.
_WORD = rf"(?:{'|'.join(sorted(_WORDS, key=len, reverse=True))})"
_THREE_WORDS = re.compile(rf"{_WORD}(?:[^\w]{{0,{SEPARATOR_MAX}}}{_WORD}){{2}}")


_MASK = re.compile(r"\[card ••••[0-9]{4}\]")
# A run needs this many digits before any window is tried.
_FEWEST = MIN_LEN


class _Token:
    __slots__ = ("digits", "end", "join", "start", "word")

    def __init__(self, start: int, end: int, digits: str, *, word: bool) -> None:
        self.start, self.end, self.digits, self.word = start, end, digits, word
        self.join = ""  # the word joining it to the token before it, if one does


def _tokens(norm: str) -> list[_Token]:
    masks = [m.span() for m in _MASK.finditer(norm)] if "[card" in norm else []
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(norm):
        start, end = match.span()
        if any(m_start <= start < m_end for m_start, m_end in masks):
            continue  # a mask's four digits are never read into a number
        if match.lastgroup == "digits":
            tokens.append(_Token(start, end, match.group(), word=False))
        else:
            tokens.append(_Token(start, end, _WORDS[match.group().lower()], word=True))
    return tokens


def _runs(norm: str, tokens: list[_Token]) -> list[list[_Token]]:
    runs: list[list[_Token]] = []
    run: list[_Token] = []
    for token in tokens:
        if run:
            before = run[-1]
            gap_start, gap_end = before.end, token.start
            if gap_start == gap_end or separated(norm, gap_start, gap_end):
                run.append(token)
                continue
            if (
                not before.word
                and not token.word
                and _GROUP_MIN <= len(before.digits) <= _GROUP_MAX
                and _GROUP_MIN <= len(token.digits) <= _GROUP_MAX
                and _JOINING_WORD.fullmatch(norm, gap_start, gap_end) is not None
            ):
                token.join = norm[gap_start:gap_end].strip().casefold()
                run.append(token)
                continue
            if sum(len(t.digits) for t in run) >= _FEWEST:
                runs.append(run)
        run = [token]
    if run and sum(len(t.digits) for t in run) >= _FEWEST:
        runs.append(run)
    return runs


def _joined(norm: str, blocks: list[Block]) -> bool:
    """Is some group of digits joined to the next by a word?"""
    if sum(len(block.digits) for block in blocks) < MIN_LEN:
        return False
    return any(
        _GROUP_MIN <= len(a.digits) <= _GROUP_MAX
        and _GROUP_MIN <= len(b.digits) <= _GROUP_MAX
        and _JOINING_WORD.fullmatch(norm, a.end, b.start) is not None
        for a, b in pairwise(blocks)
    )


# One line of a numbered list holding one group: "1. 4242", "(2) 4242", "3）4242", at the
# start of the line or after a colon ("Card: 1. 4242"), perhaps with words after it.
_NUMBERED_LINE = re.compile(
    r"(?:^|[:：])[ \t]*[(（]?(?P<n>[0-9]{1,2})[.)）:：、][ \t]*(?P<group>[0-9]{3,6})"
    r"(?![0-9])[^0-9\n]*$",
    re.MULTILINE,
)


def _is_card(digits: str) -> bool:
    return (
        brand_of(digits) is not None
        and luhn_valid(digits)
        and not (len(digits) == 13 and is_japanese_barcode(digits))
    )


def _numbered_cards(norm: str) -> list[tuple[int, int]]:
    """A card typed one group per line of a numbered list (``1. 4242\n2. 4242\n…``): the
    lines follow each other, their numbers count up by one, and the whole list is the card
    (a list of ten prices holds some Luhn-valid stretch one time in five). The numbers are
    not read into the card."""
    lists: list[list[re.Match[str]]] = []
    for line in _NUMBERED_LINE.finditer(norm):
        previous = lists[-1][-1] if lists else None
        if (
            previous is not None
            and norm.count("\n", previous.end(), line.start()) == 1
            and int(line["n"]) == int(previous["n"]) + 1
        ):
            lists[-1].append(line)
        else:
            lists.append([line])
    return [
        (lines[0].start("group"), lines[-1].end("group"))
        for lines in lists
        if MIN_LEN <= sum(len(line["group"]) for line in lines) <= MAX_LEN
        and _is_card("".join(line["group"] for line in lines))
    ]


def find_written_cards(norm: str, blocks: list[Block]) -> list[tuple[int, int]]:
    """(start, end) skeleton spans of cards written with words or in a numbered list, in
    order, not merged. ``blocks``: the text's digit blocks (``digits.find_blocks``)."""
    spans: list[tuple[int, int]] = []
    if "\n" in norm and sum(len(block.digits) for block in blocks) >= MIN_LEN:
        spans += _numbered_cards(norm)
    if not _joined(norm, blocks) and _THREE_WORDS.search(norm.lower()) is None:
        return spans
    for run in _runs(norm, _tokens(norm)):
        for first in range(len(run)):
            digits = ""
            worded = False  # a number word in the window
            joins: set[str] = set()  # the joining words inside it
            plain = False  # a gap inside it that is no joining word
            for last in range(first, len(run)):
                token = run[last]
                digits += token.digits
                worded = worded or token.word
                if last > first:
                    if token.join:
                        joins.add(token.join)
                    else:
                        plain = True
                if len(digits) > MAX_LEN:
                    break
                # Words between groups: the same word between every two of them and all
                # the groups so joined, as a person types a card that way ("4242 and 4242
                # and …"); "9243*5515*2491*2664 to 2026-06-13" is an order number and a
                # date, and "1200 to 1300 to 1400 to 1500 to 1600" a stretch of a list.
                whole = not (run[first].join or (last + 1 < len(run) and run[last + 1].join))
                if (
                    (worded if not joins else len(joins) == 1 and not plain and whole)
                    and len(digits) >= MIN_LEN
                    and _is_card(digits)
                ):
                    spans.append((run[first].start, token.end))
    return spans


def digits_of(norm_span: str) -> str:
    """The digits a span of the skeleton stands for, number words read as digits."""
    if norm_span.isdigit() or not any(ch.isalpha() for ch in norm_span):
        return "".join(ch for ch in norm_span if "0" <= ch <= "9")
    return "".join(token.digits for token in _tokens(norm_span))
