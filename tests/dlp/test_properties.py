"""Property-based tests: random cards in random formats and contexts, arbitrary text."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hisho.dlp import EntityType, find, mask_cards, redact_for_triage
from hisho.dlp.cards import is_card_number, luhn_check_digit
from hisho.dlp.mynumber import is_my_number
from hisho.dlp.normalize import normalize, skeleton
from tests.dlp.strategies import no_digit_text as no_digit_text_of

# (IIN prefixes, lengths) per brand, as issued today.
BRANDS: dict[str, tuple[list[str], list[int]]] = {
    "visa": (["4"], [16, 19]),
    "mastercard": (["51", "52", "53", "54", "55", "2221", "2500", "2720"], [16]),
    "amex": (["34", "37"], [15]),
    "jcb": (["3528", "3540", "3566", "3589"], [16, 17, 18, 19]),
    "diners": (["300", "305", "3095", "36", "38", "39"], [14, 16]),
    "discover": (["6011", "644", "649", "65"], [16, 19]),
    "unionpay": (["62", "8100", "8171"], [16, 19]),
}
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATORS = [" ", "-", ".", "　", "－", "．", "‐", "ー", " - ", "  "]
GROUPINGS = {
    14: [[4, 6, 4], [14]],
    15: [[4, 6, 5], [15]],
    16: [[4, 4, 4, 4], [16]],
    17: [[4, 4, 4, 5], [17]],
    18: [[4, 4, 4, 6], [18]],
    19: [[4, 4, 4, 4, 3], [6, 13], [19]],
}
WORDS = [
    "my card is",
    "card no",
    "please charge",
    "thanks",
    "カード番号は",
    "です",
    "で支払います",
    "お願いします",
    "クレジットカード",
    "。",
    "、",
    "!",
    "(",
    ")",
    "「",
    "」",
    "予約",
    "Hi",
    "visa",
    "カード",
    "with",
    "for the hotel",
    "ホテル",
    "\n",
    "🙂",
]


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    brand = draw(st.sampled_from(sorted(BRANDS)))
    prefixes, lengths = BRANDS[brand]
    prefix = draw(st.sampled_from(prefixes))
    length = draw(st.sampled_from(lengths))
    body = prefix + "".join(
        draw(
            st.lists(
                st.sampled_from("0123456789"),
                min_size=length - len(prefix) - 1,
                max_size=length - len(prefix) - 1,
            )
        )
    )
    return body + luhn_check_digit(body)


@st.composite
def written_cards(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, how a person typed them)."""
    digits = draw(card_numbers())
    groups = draw(st.sampled_from(GROUPINGS[len(digits)]))
    separator = draw(st.sampled_from(SEPARATORS))
    parts, position = [], 0
    for size in groups:
        parts.append(digits[position : position + size])
        position += size
    written = separator.join(parts)
    if draw(st.booleans()):
        written = written.translate(FULL_WIDTH_DIGITS)
    return digits, written


# Surrounding text without digits (digits glued to a card make a different number).
no_digit_text = no_digit_text_of(max_size=20)
context = st.lists(st.one_of(st.sampled_from(WORDS), no_digit_text), max_size=4).map(
    lambda parts: "".join(parts)
)
glue = st.sampled_from(["", " ", "：", ": ", "\n"])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(card=written_cards(), before=context, after=context, g1=glue, g2=glue)
def test_every_card_is_found_and_masked(
    card: tuple[str, str], before: str, after: str, g1: str, g2: str
) -> None:
    digits, written = card
    assert is_card_number(digits)
    text = before + g1 + written + g2 + after
    start = len(before + g1)
    cards = find(text, [EntityType.CREDIT_CARD])
    # The span is the card as written, plus any invisible characters glued after it.
    assert any(
        f.start == start and skeleton(text[f.start : f.end]).text == skeleton(written).text
        for f in cards
    )

    for output in (mask_cards(text).text, redact_for_triage(text)):
        output_digits = re.sub(r"[^0-9]", "", normalize(output))
        assert digits not in output_digits
        assert f"[card ••••{digits[-4:]}]" in output
        # No more than the last four card digits survive anywhere in the output.
        assert len(output_digits) <= 4 * len(cards)


def _check_invariants(text: str) -> None:
    findings = find(text)
    previous_end = 0
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.start >= previous_end  # sorted and non-overlapping
        previous_end = f.end
        matched = skeleton(text[f.start : f.end]).text
        assert text[f.start : f.end]  # slices to the matched original text
        digits = re.sub(r"[^0-9]", "", matched)
        if f.type is EntityType.CREDIT_CARD:
            assert len(digits) >= 13
        elif f.type is EntityType.JP_MY_NUMBER:
            assert is_my_number(digits)
        elif f.type is EntityType.EMAIL_ADDRESS:
            assert "@" in matched
        else:
            assert 7 <= len(digits) <= 18
        # A span starts and ends on something visible (never inside a keycap sequence).
        assert matched[:1] == skeleton(text[f.start :]).text[:1]
    for kind in EntityType:
        assert find(text, [kind]) == [f for f in findings if f.type is kind]
    masked = mask_cards(text)
    assert masked.cards_masked == sum(f.type is EntityType.CREDIT_CARD for f in findings)
    if masked.cards_masked == 0:
        assert masked.text is text
    assert mask_cards(masked.text).cards_masked == 0  # masks are never re-detected
    redact_for_triage(text)


any_char = st.characters(exclude_categories=())  # includes lone surrogates
digit_heavy = st.text(
    alphabet=st.sampled_from(list("0123456789 -.+()@a。４１－　ー\u0301\ud800")), max_size=300
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=any_char, max_size=200))
def test_arbitrary_text_never_crashes(text: str) -> None:
    _check_invariants(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=digit_heavy)
def test_digit_heavy_text_never_crashes(text: str) -> None:
    _check_invariants(text)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(
        st.one_of(written_cards().map(lambda c: c[1]), digit_heavy, st.sampled_from(WORDS)),
        max_size=8,
    )
)
def test_mixed_text_never_crashes(parts: list[str]) -> None:
    _check_invariants(" ".join(parts))
