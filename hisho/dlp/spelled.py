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
import unicodedata
from bisect import bisect_right
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


# Half-width katakana (ｷｭｳ): NFKC folds them to full width, but the skeleton keeps them
# as typed (it folds only to ASCII). Voiced kana are a base and a separate ﾞ mark (ｺﾞ).
_HALF_WIDTH = {unicodedata.normalize("NFKC", chr(cp)): chr(cp) for cp in range(0xFF66, 0xFF9E)}


def _half_width(word: str) -> str:
    out = []
    for ch in word:
        base = unicodedata.normalize("NFD", ch)
        out.append(_HALF_WIDTH[base[0]] + ("\uff9e" if len(base) > 1 else ""))
    return "".join(out)


_WORDS: dict[str, str] = {
    **_ENGLISH,
    **_KANA,
    **{_katakana(word): digit for word, digit in _KANA.items()},
    **{_half_width(_katakana(word)): digit for word, digit in _KANA.items()},
}
_JAPANESE_WORDS = sorted((w for w in _WORDS if w not in _ENGLISH), key=len, reverse=True)
_ENGLISH_WORD = rf"(?:{'|'.join(sorted(_ENGLISH, key=len, reverse=True))})"
# English number words are whole words, or a word made of them only ("fourtwofourtwo"):
# no number word begins another, so the split is unique.
_TOKEN = re.compile(
    r"(?P<digits>[0-9]+)"
    rf"|(?<![A-Za-z])(?P<english>{_ENGLISH_WORD}+)(?![A-Za-z])"
    rf"|(?P<kana>{'|'.join(_JAPANESE_WORDS)})",
    re.IGNORECASE | re.ASCII,  # not Unicode case folding: "fıve" is no "five" (no KeyError)
)
_ENGLISH_SPLIT = re.compile(_ENGLISH_WORD, re.IGNORECASE | re.ASCII)
# A word between two groups of digits: one to five Latin letters ("x", "and", "then") or
# one to three kana ("と", "から", "そして"), perhaps with punctuation and space around it
# (", and ", "と、", "-x-"). Not kanji: "2700円か3800円か…" is a price list (a counter and a
# particle); nor a tag ("<br>").
_JOINING_WORD = re.compile(r"[^\w<>]{0,3}(?:[A-Za-z]{1,5}|[\u3041-\u30ff]{1,3})[^\w<>]{0,3}")
_JOIN_PUNCTUATION = re.compile(r"[^\w]")
# Words that join the last two items of a list ("4242, 4242, 4242 and 4242"): a window may
# hold them with list separators, as a list of numbers joined by commas alone.
_LAST_ITEM = frozenset({"and", "と", "や"})
_GROUP_MIN, _GROUP_MAX = 3, 6
# The first test of a text: three number words in a row (a card written with words spells
# at least one of its groups out, and no group has fewer than three digits). It runs on the
# text in lower case: with IGNORECASE the regex took five times as long, more than the rest
# of the detector on ordinary text.
_WORD = rf"(?:{'|'.join(sorted(_WORDS, key=len, reverse=True))})"
_SEPARATOR = rf"(?:[^\w]|_){{0,{SEPARATOR_MAX}}}"  # as digits.separated: "_" separates
_THREE_WORDS = re.compile(rf"{_WORD}(?:{_SEPARATOR}{_WORD}){{2}}")
# ... or one or two number words between digits ("4 two 4 2", "4two4two").
_WORDS_BETWEEN_DIGITS = re.compile(rf"[0-9]{_SEPARATOR}(?:{_WORD}{_SEPARATOR}){{1,2}}[0-9]")
# What both need, and the only one of the three searches that runs on most texts: a number
# word followed by another or by a digit. (The two above take 2 and 3.4 µs a message on the
# standard corpus, this one 1.8.)
_WORD_THEN_MORE = re.compile(rf"{_WORD}{_SEPARATOR}(?:{_WORD}|[0-9])")
# Kana that are also particles and everyday syllables (に, し, く, ご: "田中さんにご確認") read as
# digits only among three or more number words in a row.
_PARTICLES = frozenset(w for w in _WORDS if len(w) == 1 and not w.isascii())


_MASK = re.compile(r"\[card ••••[0-9]{4}\]")
# A run needs this many digits before any window is tried.
_FEWEST = MIN_LEN


class _Token:
    __slots__ = ("digits", "end", "join", "particle", "start", "word")

    def __init__(self, start: int, end: int, digits: str, *, word: bool) -> None:
        self.start, self.end, self.digits, self.word = start, end, digits, word
        self.join = ""  # the word joining it to the token before it, if one does
        self.particle = False  # a one-kana number word (に, し, く, ご)


def _tokens(norm: str) -> list[_Token]:
    masks = [m.span() for m in _MASK.finditer(norm)] if "[card" in norm else []
    mask_starts = [m_start for m_start, _ in masks]
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(norm):
        start, end = match.span()
        k = bisect_right(mask_starts, start) - 1
        if k >= 0 and start < masks[k][1]:
            continue  # a mask's four digits are never read into a number
        if match.lastgroup == "digits":
            tokens.append(_Token(start, end, match.group(), word=False))
        elif match.lastgroup == "english":
            tokens.extend(
                _Token(
                    start + part.start(),
                    start + part.end(),
                    _WORDS[part.group().lower()],
                    word=True,
                )
                for part in _ENGLISH_SPLIT.finditer(match.group())
            )
        else:
            token = _Token(start, end, _WORDS[match.group().lower()], word=True)
            token.particle = match.group() in _PARTICLES
            tokens.append(token)
    return _without_lone_particles(norm, tokens)


def _without_lone_particles(norm: str, tokens: list[_Token]) -> list[_Token]:
    """Drop the one-kana number words that are not among three or more number words in a
    row: there they are particles ("5528に7345に…" is joined by a word, not a digit)."""
    kept: list[_Token] = []
    k = 0
    while k < len(tokens):
        end = k + 1  # one past the last number word of the row starting at k
        if tokens[k].word:
            while (
                end < len(tokens)
                and tokens[end].word
                and _adjacent(norm, tokens[end - 1], tokens[end])
            ):
                end += 1
        row = tokens[k:end]
        kept.extend(t for t in row if not t.particle or end - k >= 3)
        k = end
    return kept


def _adjacent(norm: str, before: _Token, after: _Token) -> bool:
    return before.end == after.start or separated(norm, before.end, after.start)


def _runs(norm: str, tokens: list[_Token]) -> list[list[_Token]]:
    runs: list[list[_Token]] = []
    run: list[_Token] = []
    for token in tokens:
        if run:
            before = run[-1]
            gap_start, gap_end = before.end, token.start
            if _adjacent(norm, before, token):
                run.append(token)
                continue
            if (
                not before.word
                and not token.word
                and _GROUP_MIN <= len(before.digits) <= _GROUP_MAX
                and _GROUP_MIN <= len(token.digits) <= _GROUP_MAX
                and _JOINING_WORD.fullmatch(norm, gap_start, gap_end) is not None
            ):
                token.join = _JOIN_PUNCTUATION.sub("", norm[gap_start:gap_end]).casefold()
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


# One line of a numbered list holding one group: "1. 4242", "(2) 4242", "3）4242", "#4 4242",
# "5 - 4242", "① 4242" (the skeleton reads ① as 1), at the start of the line or after a colon
# ("Card: 1. 4242"), perhaps with words after it.
_NUMBERED_LINE = re.compile(
    r"(?:^|[:：])[ \t]*(?:[-(（#][ \t]*)?(?P<n>[0-9]{1,2})(?:[.)）:：、]|[ \t]+[-:][ \t]|[ \t])"
    r"[ \t]*(?P<group>[0-9]{3,6})(?![0-9])[^0-9\n]*$",
    re.MULTILINE,
)

# One line of a labelled list holding one group: "first: 4242", "Group A = 4242", "下4桁：4242",
# "1st: 4242", "- First four digits: 4242", at the start of the line or after a colon
# ("Card: first: 4242"), perhaps with words after it.
_LABELLED_LINE = re.compile(
    r"(?:^|[:：])[ \t]*(?:[-*•・][ \t]*)?(?:[0-9]{1,2}(?:st|nd|rd|th)|[^\W\d_])[^\n:：=]{0,23}"
    r"[:：=][ \t]*(?P<group>[0-9]{3,6})(?![0-9])[^0-9\n]*$",
    re.MULTILINE,
)

# One numbered item of a line: "1. 4242", "(2) 4242", "#3 4242", "G4: 4242", "part5=4242".
# The regex starts at the number (a digit: the search skips to one quickly); what stands
# before it — a bracket, "#", or a label of up to six letters — is checked in _item_start.
_INLINE_ITEM = re.compile(
    r"(?<![0-9])(?P<n>[0-9]{1,2})[.)）:：=、]?[ \t]*(?P<group>[0-9]{3,6})(?![0-9])"
)
_ITEM_LABEL = 6


def _numbered_items(norm: str, blocks: list[Block]) -> bool:
    """Three numbers of one or two digits, each just before a group: what a line of
    numbered items needs, tested on the blocks (the item regex costs more)."""
    items = 0
    for number, group in pairwise(blocks):
        if (
            len(number.digits) <= 2
            and _GROUP_MIN <= len(group.digits) <= _GROUP_MAX
            and group.start - number.end <= 3
            and not any(ch.isalpha() for ch in norm[number.end : group.start])
        ):
            items += 1
            if items == 3:
                return True
    return False


def _item_start(norm: str, number: int) -> int | None:
    """Where the item whose number begins at ``number`` begins, or None when a word or a
    number runs into it."""
    start = number
    if start > 0 and norm[start - 1] in "(（#":
        start -= 1
    label = start
    while (
        label > 0
        and number - label <= _ITEM_LABEL
        and norm[label - 1].isascii()
        and norm[label - 1].isalpha()
    ):
        label -= 1
    if label > 0 and (norm[label - 1].isalnum() or norm[label - 1] == "_"):
        return None
    return label


def _is_card(digits: str) -> bool:
    return (
        brand_of(digits) is not None
        and luhn_valid(digits)
        and not (len(digits) == 13 and is_japanese_barcode(digits))
    )


def _listed_cards(norm: str, line_pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """A card typed one group per line of a numbered list (``1. 4242\n2. 4242\n…``) or a
    labelled one (``first: 4242\nsecond: 4242\n…``), or one group per numbered item on a
    line (``1. 4242 2. 4242 …``, ``G1: 4242 G2: 4242 …``): the lines follow each other (the
    items, with a separator run between them), the numbers count up by one, and the whole
    list is the card (a list of ten prices holds some Luhn-valid stretch one time in
    five). Numbers and labels are not read into it."""
    numbered = "n" in line_pattern.groupindex
    inline = line_pattern is _INLINE_ITEM
    lists: list[list[re.Match[str]]] = []
    for line in line_pattern.finditer(norm):
        start = _item_start(norm, line.start()) if inline else line.start()
        if start is None:
            continue
        previous = lists[-1][-1] if lists else None
        if (
            previous is not None
            and (
                separated(norm, previous.end(), start)
                if inline
                else _next_line(norm, previous.end(), start)
            )
            and (not numbered or int(line["n"]) == int(previous["n"]) + 1)
        ):
            lists[-1].append(line)
        else:
            lists.append([line])
    return [
        (lines[0].start("group"), lines[-1].end("group"))
        for lines in lists
        if MIN_LEN <= sum(len(line["group"]) for line in lines) <= MAX_LEN
        and _is_card("".join(line["group"] for line in lines))
        and not _round([line["group"] for line in lines])
    ]


def _next_line(norm: str, end: int, start: int) -> bool:
    """Does a line start at ``start`` right after the line ending at ``end``, or after one
    blank line?"""
    gap = norm[end:start]
    return 1 <= gap.count("\n") <= 2 and not gap.strip()


def _round(groups: list[str]) -> bool:
    """Every group a round number: a list of prices or rooms ("1. 4920\n2. 3800…", "6450
    or 9400 or 5300 or 5400"), not a card (one card in 10,000 has such groups)."""
    return all(group.endswith("0") for group in groups)


def find_written_cards(norm: str, blocks: list[Block]) -> list[tuple[int, int]]:
    """(start, end) skeleton spans of cards written with words or in a numbered list, in
    order, not merged. ``blocks``: the text's digit blocks (``digits.find_blocks``)."""
    spans: list[tuple[int, int]] = []
    if "\n" in norm and sum(len(block.digits) for block in blocks) >= MIN_LEN:
        spans += _listed_cards(norm, _NUMBERED_LINE) + _listed_cards(norm, _LABELLED_LINE)
    if _numbered_items(norm, blocks):
        spans += _listed_cards(norm, _INLINE_ITEM)
    lower = norm.lower()
    if not _joined(norm, blocks) and not (
        _WORD_THEN_MORE.search(lower)
        and (_THREE_WORDS.search(lower) or (blocks and _WORDS_BETWEEN_DIGITS.search(lower)))
    ):
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
                # and …"), or a list of groups with "and" before the last ("4242, 4242,
                # 4242 and 4242"); "9243*5515*2491*2664 to 2026-06-13" is an order number
                # and a date, and "1200 to 1300 to 1400 to 1500 to 1600" a stretch of a list.
                whole = not (run[first].join or (last + 1 < len(run) and run[last + 1].join))
                as_typed = (
                    whole
                    and len(joins) == 1
                    and (
                        not plain
                        or (
                            token.join in _LAST_ITEM
                            and not any(t.join for t in run[first + 1 : last])
                        )
                    )
                )
                if (
                    (as_typed if joins else worded)
                    and len(digits) >= MIN_LEN
                    and _is_card(digits)
                    and not (joins and _round([t.digits for t in run[first : last + 1]]))
                ):
                    spans.append((run[first].start, token.end))
    return spans


def digits_of(norm_span: str) -> str:
    """The digits a span of the skeleton stands for, number words read as digits."""
    if norm_span.isdigit() or not any(ch.isalpha() for ch in norm_span):
        return "".join(ch for ch in norm_span if "0" <= ch <= "9")
    return "".join(token.digits for token in _tokens(norm_span))
