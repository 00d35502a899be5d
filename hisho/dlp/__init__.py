"""Data-loss prevention: find and mask personal data in free text (no Django here).

Public API::

    find(text, types=None, *, regions=()) -> list[Finding]  # sorted, original offsets
    mask_cards(text) -> MaskResult                # card numbers -> "[card ••••1111]"
    redact_for_triage(text, *, regions=()) -> str  # every entity -> a placeholder

Detectors run on the *skeleton* of the text (see ``normalize``): digits of every script and
full-width forms folded to ASCII, invisible characters and combining marks dropped. Its
offset map turns their spans back into offsets into the original text. When detections
overlap, precedence is CREDIT_CARD > EMAIL_ADDRESS > JP_MY_NUMBER > PHONE_NUMBER: each
detector only sees what the ones before it left, which means ``find(text, types)`` always
equals ``find(text)`` filtered to ``types`` (and ``mask_cards`` only needs to run the card
detector).

Cards are also read where a customer wrote them with letters on purpose: digits spelled
out, a word between the groups, one group per numbered or labelled line (``spelled.py``),
look-alike letters for digits (``lookalikes.py``), and shown reversed by a right-to-left
override (``Skeleton.reversed_spans``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Sequence

from .cards import find_cards, is_card_number
from .digits import Block, find_blocks, union
from .emails import find_emails
from .lookalikes import fold, fold_span
from .markup import unmarked, widened
from .mynumber import find_my_numbers
from .normalize import Skeleton, skeleton
from .phones import find_phones
from .spelled import digits_of, find_written_cards
from .types import EntityType, Finding, MaskResult

__all__ = [
    "EntityType",
    "Finding",
    "MaskResult",
    "card_mask",
    "distrust_typed_masks",
    "find",
    "mask_cards",
    "redact_for_triage",
]

_ALL = frozenset(EntityType)
_CARDS_ONLY = frozenset({EntityType.CREDIT_CARD})
_PRECEDENCE = (
    EntityType.CREDIT_CARD,
    EntityType.EMAIL_ADDRESS,
    EntityType.JP_MY_NUMBER,
    EntityType.PHONE_NUMBER,
)
# The fewest digits any finding has: a phone number in international form ("+" and 7).
_FEWEST_DIGITS = 7
_PLACEHOLDERS = {
    EntityType.PHONE_NUMBER: "[phone]",
    EntityType.EMAIL_ADDRESS: "[email]",
    EntityType.JP_MY_NUMBER: "[my number]",
}


def _mark(blocks: list[Block], starts: list[int], taken: list[bool], start: int, end: int) -> None:
    """Mark every digit block overlapping ``[start, end)`` as used."""
    k = bisect_left(starts, start)
    if k > 0 and blocks[k - 1].end > start:
        k -= 1
    while k < len(blocks) and blocks[k].start < end:
        taken[k] = True
        k += 1


def _cards_with_lookalikes(norm: str) -> list[tuple[int, int]]:
    """Cards read with look-alike letters as digits (``lookalikes.py``) that take one."""
    result = fold(norm)
    if result is None:
        return []
    folded, letters = result
    folded_blocks = find_blocks(folded)
    return [
        (start, end)
        for start, end in find_cards(folded, folded_blocks)
        + find_written_cards(folded, folded_blocks)
        if bisect_left(letters, end) > bisect_left(letters, start)
    ]


def _cards_in_markup(norm: str) -> list[tuple[int, int]]:
    """Cards read with inline HTML tags as nothing and digit references as digits
    (``markup.py``), grown to the whole tags and references they take."""
    result = unmarked(norm)
    if result is None:
        return []
    text, regions = result
    cards = (widened(span, regions) for span in find_cards(text, find_blocks(text)))
    return [span for span in cards if span is not None]


def _cards_shown_reversed(norm: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cards in the parts of the text a right-to-left override shows reversed."""
    cards: list[tuple[int, int]] = []
    for start, end in spans:
        shown = norm[start:end][::-1]
        cards.extend(
            (end - card_end, end - card_start)
            for card_start, card_end in find_cards(shown, find_blocks(shown))
        )
    return cards


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Does ``[start, end)`` overlap one of the sorted, disjoint ``spans``? O(log n)."""
    k = bisect_left(spans, (end, end))
    return k > 0 and spans[k - 1][1] > start


def find(
    text: str,
    types: Collection[EntityType] | None = None,
    *,
    regions: Sequence[str] = (),
) -> list[Finding]:
    """Find personal data in ``text``; offsets index the original ``text``.

    ``regions``: ISO 3166 codes to try first for phone numbers written in national form
    (the sender's profile country, their language's region), e.g. ``("US",)``.
    """
    wanted = _ALL if types is None else frozenset(EntityType(t) for t in types)
    if not wanted or not text:
        return []
    skel = skeleton(text)
    return [
        Finding(kind, skel.start(start), skel.end(end))
        for kind, start, end in _find(
            skel.text, wanted, regions, reversed_spans=skel.reversed_spans
        )
    ]


def _find(
    norm: str,
    wanted: frozenset[EntityType],
    regions: Sequence[str] = (),
    *,
    cautious: bool = False,
    reversed_spans: Sequence[tuple[int, int]] = (),
) -> list[tuple[EntityType, int, int]]:
    """Findings as (type, start, end) in skeleton coordinates. ``cautious`` (redaction):
    a bare 12-digit number that is a My Number or a parcel number counts as a My Number.
    ``reversed_spans``: parts of ``norm`` shown right to left (``Skeleton.reversed_spans``),
    where cards are also looked for as they are seen."""
    # Run every detector that precedes a wanted one, so results never depend on ``types``.
    last_needed = max(_PRECEDENCE.index(t) for t in wanted)
    needed = _PRECEDENCE[: last_needed + 1]

    blocks = find_blocks(norm)
    # Cards a customer wrote other than as digits and separators: with words, in numbered
    # or labelled lists, in HTML, behind a right-to-left override (docs/dlp.md, "Written
    # with words"); they may hold no digit at all, so they are looked for first.
    written = (
        find_written_cards(norm, blocks)
        + _cards_in_markup(norm)
        + _cards_shown_reversed(norm, reversed_spans)
    )
    # Look-alike letters count where no card stands without them: "3528 0000 0000 0007Z"
    # is a card and a "Z", not a card with a 2.
    lookalikes = _cards_with_lookalikes(norm)
    if (
        not written
        and not lookalikes
        and "@" not in norm
        and sum(len(b.digits) for b in blocks) < _FEWEST_DIGITS
    ):
        return []  # most messages: no number long enough to be anything we look for
    taken = [False] * len(blocks)
    findings: list[tuple[EntityType, int, int]] = []

    starts = [b.start for b in blocks]
    typed = union(find_cards(norm, blocks) + written)
    card_spans = union(typed + [span for span in lookalikes if not _overlaps(*span, typed)])
    for start, end in card_spans:
        _mark(blocks, starts, taken, start, end)
    findings.extend((EntityType.CREDIT_CARD, s, e) for s, e in card_spans)

    if EntityType.EMAIL_ADDRESS in needed and "@" in norm:
        for start, end in find_emails(norm):
            if _overlaps(start, end, card_spans):
                continue  # the card wins; it will be masked whatever the address was
            _mark(blocks, starts, taken, start, end)
            findings.append((EntityType.EMAIL_ADDRESS, start, end))

    if EntityType.JP_MY_NUMBER in needed:
        for first, last in find_my_numbers(norm, blocks, taken, cautious=cautious):
            for k in range(first, last + 1):
                taken[k] = True
            findings.append((EntityType.JP_MY_NUMBER, blocks[first].start, blocks[last].end))

    if EntityType.PHONE_NUMBER in needed:
        for start, last in find_phones(norm, blocks, taken, regions):
            findings.append((EntityType.PHONE_NUMBER, start, blocks[last].end))

    findings.sort(key=lambda f: f[1])
    if wanted is _ALL:
        return findings
    return [f for f in findings if f[0] in wanted]


def card_mask(digits: str) -> str:
    """Mask shown instead of a card: only the last four digits survive."""
    return f"[card ••••{digits[-4:]}]"


# A mask as a client may type it to pass for ours: any case, other dots or stars, spaces.
_TYPED_MASK = re.compile(r"\[\s*card\s*[•*●·.xX]{2,6}\s*([0-9]{4})\s*\]", re.IGNORECASE | re.ASCII)


def distrust_typed_masks(text: str) -> str:
    """Client text: a mask the client typed is not one of ours. The detector never reads
    a mask's four digits into a number (so masking what it masked changes nothing), and
    a typed one next to other digits hid a card's last group: "4242 4242 4242
    [card ••••4242]", or four masks in a row, was stored as typed. A typed mask whose four
    digits, read as a group where it stands, would complete a card — digits, words,
    look-alike letters, however far a separator run reaches — loses its digits; one quoted
    in prose keeps them."""
    if "[" not in text and "［" not in text:
        return text
    skel = skeleton(text)
    masks = list(_TYPED_MASK.finditer(skel.text))
    if not masks:
        return text
    # The text as it would read if each typed mask were its four digits, and where those
    # digits stand in it.
    pieces: list[str] = []
    digits_at: list[tuple[int, int]] = []
    position = length = 0
    for match in masks:
        pieces += [skel.text[position : match.start()], match[1]]
        length += match.start() - position
        digits_at.append((length, length + 4))
        length += 4
        position = match.end()
    pieces.append(skel.text[position:])
    cards = _cards_in("".join(pieces))
    parts: list[str] = []
    position = 0
    for match, (digits_start, digits_end) in zip(masks, digits_at, strict=True):
        if not _overlaps(digits_start, digits_end, cards):
            continue
        start, end = skel.start(match.start(1)), skel.end(match.end(1))
        parts += [text[position:start], "••••"]
        position = end
    return "".join(parts) + text[position:] if parts else text


def _cards_in(norm: str) -> list[tuple[int, int]]:
    """Sorted, disjoint skeleton spans of the cards in ``norm`` (a skeleton's text)."""
    return [(s, e) for _, s, e in _find(norm, _CARDS_ONLY)]


# Passes of mask_cards over what its masks left. A text a person wrote needs one, rarely
# two (python -m bench.dlp.remask: 0.14-0.90% of glued texts, none three); more only
# for a text built so that each mask uncovers the next reading, which would otherwise
# cost a pass per card it holds.
_PASSES_MAX = 3


def mask_cards(text: str) -> MaskResult:
    """Replace every card number by :func:`card_mask`. No card: the same string object.

    What is stored holds no reading, so the masked text is read again until nothing is
    found: a mask ends the chain of digits it stood in, and what is left of the chain is
    then read on its own — a stray digit cut off before a card, or a list's values read
    without the card among them, can hold a card (docs/dlp.md, "Masking what was masked").
    A text still holding one after _PASSES_MAX passes loses every digit (fail closed)."""
    masked, count = text, 0
    for _ in range(_PASSES_MAX):
        masked, found = _mask_once(masked)
        if not found:
            return MaskResult(masked, count)
        count += found
    again, found = _mask_once(masked)
    if not found:
        return MaskResult(masked, count)
    hidden, in_words = _mask_once(_every_digit_hidden(again))
    return MaskResult(hidden, count + found + in_words)


def _mask_once(text: str) -> tuple[str, int]:
    """One pass of :func:`mask_cards`: ``text`` with the cards read in it masked, and
    how many. No card: the same string object."""
    skel = skeleton(text)
    cards = _find(skel.text, _CARDS_ONLY, reversed_spans=skel.reversed_spans)
    return (_replace(text, skel, cards), len(cards)) if cards else (text, 0)


def _every_digit_hidden(text: str) -> str:
    """``text`` with each digit, of any script, shown as "•"; what look-alike letters or
    words spell is read once more by the caller."""
    skel = skeleton(text)
    parts: list[str] = []
    position = 0
    for block in find_blocks(skel.text):
        start, end = skel.start(block.start), skel.end(block.end)
        parts += [text[position:start], "•" * len(block.digits)]
        position = end
    return "".join(parts) + text[position:]


def redact_for_triage(text: str, *, regions: Sequence[str] = ()) -> str:
    """Replace phones, e-mails and My Numbers by placeholders and cards by their mask."""
    if not text:
        return text
    text = mask_cards(text).text  # to the end, as mask_cards reads what its masks leave
    skel = skeleton(text)
    findings = _find(skel.text, _ALL, regions, cautious=True, reversed_spans=skel.reversed_spans)
    if not findings:
        return text
    return _replace(text, skel, findings)


def _without_markup(span: str) -> str:
    result = unmarked(span)
    return span if result is None else result[0]


def _replace(text: str, skel: Skeleton, findings: list[tuple[EntityType, int, int]]) -> str:
    parts: list[str] = []
    position = 0
    for kind, start, end in findings:
        parts.append(text[position : skel.start(start)])
        if kind is EntityType.CREDIT_CARD:
            digits = digits_of(fold_span(_without_markup(skel.text[start:end])))
            if (
                any(a <= start and end <= b for a, b in skel.reversed_spans)
                and not is_card_number(digits)
                and is_card_number(digits[::-1])
            ):
                # Read only as shown right to left: the mask names the last four digits the
                # reader saw, and is itself shown left to right (an override of its own).
                pops = "\u202c" * (1 + text.count("\u202c", skel.start(start), skel.end(end)))
                parts.append(f"\u202d{card_mask(digits[::-1])}{pops}")
            else:
                parts.append(card_mask(digits))
        else:
            parts.append(_PLACEHOLDERS[kind])
        position = skel.end(end)
    parts.append(text[position:])
    return "".join(parts)
