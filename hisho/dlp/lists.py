"""Where one value ends and the next begins: lists, schedules and prices.

The card detector reads any short run of punctuation between digits as a separator (recall
first: people type ``4111、1111、1111、1111``). A customer's list of ordinary values — a
schedule, three phone numbers, a price list — is then one long chain of digit blocks, in
which some window that starts inside one value and ends inside another is Luhn-valid by
chance (a list of five time ranges held such a window 44% of the time, a list of phone
numbers 45-58%: ``python -m bench.dlp.lists``). This module gives the card detector what
tells a list from a card typed by hand:

* **list boundaries**: a separator run holding a list mark (``,`` ``、`` ``;`` ``。`` ``|``
  or a line break), a ``+`` that starts an international number after another mark, or
  whitespace between two tightly punctuated values (``03-1234-5678 06-…``). A card may
  still be typed across them (``4111、1111、1111、1111``), but a reading that crosses one
  must begin where a value begins and end where a value ends (``cards.py``) — unless
  it is one group per item, which may be glued to the values around it
  (``6/12-4903\n0789\n7541\n9215``: ``cards._Values.one_group_each``);
* **currency signs** end a chain: nobody types ``$`` or ``¥`` between the groups of a card;
* **values that are no card**: a time range (``10:00-11:30``, ``9:15〜10:00``, the end after
  the start) and a full date with a four-digit year (``2026/07/07``, ``18.05.2025``) that
  does not follow digits and one separator (in ``4111 1111 1111 2028/12/27`` the "date"
  is a card's last group and its expiry). A reading that takes any digit of one is not a
  card. Hiding a card this way means writing
  its digits as valid times or dates on purpose, which is encoding, not typing
  (docs/dlp.md lists it with the other encodings that pass).

All of it looks at the skeleton only and costs one regex pass per text.
"""

from __future__ import annotations

import re
import unicodedata

from .digits import union

# A list mark in a separator run (the skeleton has folded "，；｜" to ",;|").
_LIST_MARKS = frozenset(",、;。|・\n\r")
# A single hyphen, dot or slash binds the groups of one token: a phone number, a date, a
# product or tracking code (cards.py: a reading across list values never begins or ends at
# one). With the colon of a time, they make a value "tightly punctuated".
TIGHT_JOINS = frozenset("-./")
# Separator runs longer than this are padding (digits.SEPARATOR_MAX allows up to 24): they
# end a value, and a reading across them must have the same run between all its groups.
SHORT_RUN = 8
_TIGHT_MARKS = TIGHT_JOINS | {":"}

_HOUR = r"(?:[01]?[0-9]|2[0-3])"
_MINUTE = r"[0-5][0-9]"
_DASH = r"\s?[-~〜]\s?"
_TIME_RANGE = re.compile(
    rf"(?<![0-9:])(?P<h1>{_HOUR}):(?P<m1>{_MINUTE}){_DASH}(?P<h2>{_HOUR}):(?P<m2>{_MINUTE})(?![0-9]|:[0-9])"
)
_YEAR = r"(?:19|20)[0-9]{2}"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_DATE = re.compile(
    rf"(?<![0-9])(?<![0-9][^0-9])(?:{_YEAR}(?P<s1>[-/.])(?P<md>{_MONTH}(?P=s1){_DAY})"
    rf"|{_DAY}(?P<s2>[-/.]){_MONTH}(?P=s2){_YEAR})(?![0-9]|[-/.][0-9])"
)


def value_spans(norm: str) -> list[tuple[int, int]]:
    """Sorted, disjoint skeleton spans of time ranges and dates: no card reading takes a
    digit of one."""
    spans: list[tuple[int, int]] = []
    for match in _TIME_RANGE.finditer(norm):
        start = int(match["h1"]) * 60 + int(match["m1"])
        end = int(match["h2"]) * 60 + int(match["m2"])
        if end > start:
            spans.append(match.span())
    # Of a year-first date, the month and the day: the "year" may be a card's last group
    # and the rest its expiry ("4316, 4801, 7000, 2039/12/27").
    spans.extend(
        match.span("md") if match["md"] else match.span() for match in _DATE.finditer(norm)
    )
    return union(spans)


def ends_a_chain(run: str) -> bool:
    """``$12.50, $8.00``, ``¥1,200、¥3,400``, ``〒150-0001、〒530-0001``: a price ends where
    a currency sign is, and a postcode begins at its postal mark."""
    return any(ch == "〒" or unicodedata.category(ch) == "Sc" for ch in run)


def is_tight(run: str | None) -> bool:
    """A lone hyphen, dot, slash or colon: the join inside a phone number, date or time."""
    return run is not None and len(run) == 1 and run in _TIGHT_MARKS


def is_boundary(run: str, before: str | None, after: str | None) -> bool:
    """Does the separator run ``run`` between two digit blocks end one value and start the
    next? ``before`` and ``after`` are the runs joining those blocks to their other
    neighbours (None at the ends of the chain)."""
    if any(ch in _LIST_MARKS for ch in run) or len(run) > SHORT_RUN:
        return True  # a list mark, or padding between columns or paragraphs
    if "/" in run and not run.isspace() and any(ch.isspace() for ch in run):
        return True  # " / " between values; "/" alone joins a date or an expiry
    if len(run) > 1 and run.endswith("+"):
        return True  # "+49 30 274464 +61 412 …": the "+" starts the next number
    return run.isspace() and is_tight(before) and is_tight(after)
