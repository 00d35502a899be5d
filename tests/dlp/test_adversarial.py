"""Issue 13: a determined user cannot slip a card number past DLP.

Properties over random Luhn-valid numbers of every brand, written the ways people (and people
trying to get round a filter) write them: any grouping, a different separator in every gap
(ASCII, full-width and Japanese punctuation, runs of spaces, blank lines), invisible
characters and combining marks anywhere, digits of other scripts, keycap emoji, a stray
digit glued in front, an expiry or CVV glued after, inside English or Japanese text.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hisho.dlp import EntityType, find, mask_cards, redact_for_triage
from hisho.dlp.cards import is_japanese_barcode, luhn_check_digit
from hisho.dlp.cli import main as dlp_scan
from hisho.dlp.normalize import skeleton
from tests.dlp.strategies import no_digit_text as no_digit_text_of

# (IIN prefixes, lengths) per brand.
BRANDS: dict[str, tuple[list[str], list[int]]] = {
    "visa": (["4"], [13, 16, 19]),
    "mastercard": (["51", "53", "55", "2221", "2500", "2720"], [16]),
    "amex": (["34", "37"], [15]),
    "jcb": (["3528", "3540", "3566", "3589"], [16, 17, 18, 19]),
    "diners": (["300", "305", "3095", "36", "38", "39"], [14, 16]),
    "discover": (["6011", "644", "649", "65"], [16, 19]),
    "unionpay": (["62", "8100", "8171"], [16, 19]),
    "maestro": (["5018", "6759", "6304"], [16, 19]),
}
SEPARATORS = [
    " ", "-", ".", ",", "/", ":", "|", " | ", "*", "_", "~", "+", "・", "、", "。", "〜",
    "ー", "－", "／", "　", "．", "，", "：", "‐", "–", "—", " - ", " / ", "    ", "      ",
    "\n", "\n\n", "\r\n", "\r\n\r\n", "\t", " \n ", "#", "=", "•", "·", "＊", "｜",
]  # fmt: skip
INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064",
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
    "\u2067", "\u2068", "\u2069", "\u00ad", "\ufeff", "\u180e", "\u034f", "\ufe0f",
    "\ufe0e", "\ufe00", "\U000e0100", "\u0301", "\u0336", "\u20dd", "\u20e3",
    "\ufe0f\u20e3", "\U000e0020", "\u061c",
]  # fmt: skip
DIGIT_SCRIPTS = [
    0x30,  # ASCII
    0xFF10,  # full-width
    0x660,  # Arabic-Indic
    0x6F0,  # Eastern Arabic-Indic (Persian)
    0x966,  # Devanagari
    0x1D7CE,  # mathematical bold
    0xE50,  # Thai
]
WORDS = [
    "my card is", "card no", "please charge", "thanks", "カード番号は", "です", "で支払います",
    "お願いします", "クレジットカード", "。", "、", "!", "(", ")", "「", "」", "予約", "Hi",
    "visa", "カード", "with", "for the hotel", "ホテル", "\n", "🙂", "https://pay.example/?n=",
    "&ref=", "番号：", "#", "exp",
]  # fmt: skip


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    brand = draw(st.sampled_from(sorted(BRANDS)))
    prefixes, lengths = BRANDS[brand]
    prefix = draw(st.sampled_from(prefixes))
    length = draw(st.sampled_from(lengths))
    rest = draw(st.text(alphabet="0123456789", min_size=length - len(prefix) - 1,
                        max_size=length - len(prefix) - 1))  # fmt: skip
    body = prefix + rest
    return body + luhn_check_digit(body)


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]], str]:
    """(text of the written card, (start, end) of each of its digits in it, digits)."""
    digits = draw(card_numbers())
    # Groups of 1-6 digits (a card is never written in groups of more), 4-4-4-4, or one run.
    style = draw(st.sampled_from(["random", "fours", "run"]))
    if style == "random":
        sizes = draw(st.lists(st.integers(1, 6), min_size=len(digits), max_size=len(digits)))
        groups, position = [], 0
        for size in sizes:
            if position < len(digits):
                groups.append(digits[position : position + size])
                position += size
    elif style == "fours":
        groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    else:
        groups = [digits]
    keycap = draw(st.integers(0, 9)) == 0
    script_each = draw(st.booleans())
    script = draw(st.sampled_from(DIGIT_SCRIPTS))
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for g, group in enumerate(groups):
        if g:
            separator = draw(st.sampled_from(SEPARATORS))
            out.append(separator)
            length += len(separator)
        for ch in group:
            base = draw(st.sampled_from(DIGIT_SCRIPTS)) if script_each else script
            if keycap:
                written = ch + "\ufe0f\u20e3"
            else:
                written = chr(base + int(ch))
                if draw(st.integers(0, 4)) == 0:
                    written += draw(st.sampled_from(INVISIBLE))
            spans.append((length, length + 1))
            out.append(written)
            length += len(written)
    return "".join(out), spans, digits


glued_before = st.sampled_from(["", "", "", "5", "0", "9", "12", "\u200b7"])
glued_after = st.sampled_from(["", "", "", "1227", "12/27", "/27", "123", "0827123", "9"])
no_digit_text = no_digit_text_of(max_size=12)
context = st.lists(st.one_of(st.sampled_from(WORDS), no_digit_text), max_size=4).map("".join)
space = st.sampled_from(["", " ", "：", ": ", "\n", "\u3000"])


def _output_digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", skeleton(text).text)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    card=disguised(),
    before=context,
    after=context,
    stray=glued_before,
    tail=glued_after,
    s1=space,
    s2=space,
)
def test_every_disguised_card_is_masked(
    card: tuple[str, list[tuple[int, int]], str],
    before: str,
    after: str,
    stray: str,
    tail: str,
    s1: str,
    s2: str,
) -> None:
    written, digit_spans, digits = card
    # A Visa-13 that is also a Japanese product's barcode (EAN-13 from 45 or 49 with its
    # check digit) is read as the barcode: documented limit (docs/dlp.md).
    assume(not is_japanese_barcode(digits))
    # Visa-13 (no longer issued) glued to digits on both sides, or to one or two digits
    # after it, is indistinguishable from an IMEI's shape: documented limit.
    if len(digits) == 13 and tail[:1].isdigit() and (stray or len(re.sub("[^0-9]", "", tail)) < 3):
        tail = ""
    # A stray digit or an expiry may be glued to a group of any size, even a single digit
    # (issue 13: the 11 cards the adversarial corpus still slipped past were these).
    head = before + s1 + stray
    text = head + written + tail + s2 + after
    found = find(text)
    cards = [f for f in found if f.type is EntityType.CREDIT_CARD]
    # Every digit of the card lies inside a card finding (recall, and nothing half-masked).
    for start, _end in digit_spans:
        position = len(head) + start
        assert any(f.start <= position and position + 1 <= f.end for f in cards), (
            text,
            found,
        )
    for output in (mask_cards(text).text, redact_for_triage(text)):
        assert digits not in _output_digits(output)
        assert f"••••{digits[-4:]}" in output or "[card ••••" in output
    # Offsets point into the original text, findings are sorted and disjoint.
    previous = 0
    for f in found:
        assert previous <= f.start < f.end <= len(text)
        previous = f.end


# ---------------------------------------------------------------- the issue's examples

V = "4111111111111111"
ISSUE_FORMATS = [
    "4111 | 1111 | 1111 | 1111",
    "4111:1111:1111:1111",
    "4111*1111*1111*1111",
    "4111・1111・1111・1111",
    "4111、1111、1111、1111",
    "4111〜1111〜1111〜1111",
    "4111    1111    1111    1111",
    "4111\n\n1111\n\n1111\n\n1111",
    "4111\u200b1111\u200b1111\u200b1111",
    "4111\u200d1111\u200c1111\u2060111\u20631",
    "4111\u200e1111\u200e1111\u200e1111",
    "4111\u200f1111\u20661111\u20691111",
    "4\u00ad111 1111 1111 11\ufeff11",
    "4\ufe0f1\ufe0f1\ufe0f1\ufe0f 1111 1111 1111",
    "4\ufe0f\u20e31\ufe0f\u20e31\ufe0f\u20e31\ufe0f\u20e3" + "1\ufe0f\u20e3" * 12,
    "4\u03011\u03011\u03011\u0301 1111 1111 1111",
    "4111 1111 1111 111112/27",
    "411111111111111112/27",
    "41111111111111111227",
    "54111111111111111",
    "٤١١١ ١١١١ ١١١١ ١١١١",
    "４１１１／１１１１／１１１１／１１１１",
    "4111 1111\n1111 1111",
    "https://example.com/pay?card=4111111111111111&cvv=123",
    "card%3D4111-1111-1111-1111",
]


@pytest.mark.parametrize("written", ISSUE_FORMATS)
def test_issue_formats_are_masked(written: str) -> None:
    for text in (f"my card is {written} thanks", f"カード番号は{written}です。"):
        masked = mask_cards(text)
        assert masked.cards_masked == 1, text
        assert V not in _output_digits(masked.text)
        assert "[card ••••" in masked.text


def test_issue_cli_example() -> None:
    out = io.StringIO()
    line = json.dumps({"id": 1, "text": "4111\u200e1111\u200e1111\u200e1111"})
    assert dlp_scan([], stdin=io.StringIO(line + "\n"), stdout=out) == 0
    assert json.loads(out.getvalue()) == {
        "id": 1,
        "findings": [{"type": "CREDIT_CARD", "start": 0, "end": 19}],
    }


# ---------------------------------------------------------------- hard negatives


def complete(prefix: str, length: int) -> str:
    body = prefix + "3" * (length - len(prefix) - 1)
    return body + luhn_check_digit(body)


@pytest.mark.parametrize(
    "negative",
    [
        "356938035643809",  # IMEI
        "35-693803-564380-9",
        "490154203237518",
        complete("1", 16),  # Luhn-valid order numbers with no brand's prefix
        "9" + complete("9", 15),
        "2024-03-12 18:30",
        "2024/3/12 18:30〜19:30",
        "¥12,345",
        "〒150-0001",
        "03-1234-5678",
        "090・1234・5678",
        "1234 5678 9012",
        "1234-5678-9012-3456",
        "12:00-13:00, 14:00-15:00",
        "TK12345678JP",
    ],
)
def test_hard_negatives_are_not_cards(negative: str) -> None:
    for text in (f"ref {negative} ok", f"番号{negative}です"):
        assert [f for f in find(text) if f.type is EntityType.CREDIT_CARD] == [], text


def test_sixteen_digit_reference_is_not_a_my_number() -> None:
    # "1234 5678 9018" (a valid check digit) + "3456": a 12-digit window of a longer group.
    assert [f.type for f in find("ref 1234 5678 9018")] == [EntityType.JP_MY_NUMBER]
    for text in ("ref 1234 5678 9018 3456", "ref 1234-5678-9018-3456", "ref 1234 5678 9018 345"):
        assert [f for f in find(text) if f.type is EntityType.JP_MY_NUMBER] == []


# ---------------------------------------------------------------- travellers' phones

NATIONAL_PHONES = [
    ("US", "(617) 572-5961"),
    ("US", "617-572-5961"),
    ("US", "1 (617) 572-5961"),
    ("CA", "(416) 555-0123".replace("555-0123", "364-1234")),
    ("GB", "07400 123456"),
    ("GB", "020 7946 0958"),
    ("FR", "06 62 34 55 31"),
    ("FR", "01 23 45 67 89"),
    ("DE", "01512 3456789"),
    ("DE", "030 123456"),
    ("AU", "0405 261 788"),
    ("AU", "(02) 9876 5432"),
    ("KR", "010-2345-6789"),
    ("KR", "02-212-3456"),
    ("CN", "138 0013 8000"),
    ("CN", "13800138000"),
    ("CN", "010 1234 5678"),
    ("TW", "0912 345 678"),
    ("TW", "02 2123 4567"),
    ("HK", "5123 4567"),
    ("SG", "8123 4567"),
    ("TH", "081 234 5678"),
]


@pytest.mark.parametrize(("region", "written"), NATIONAL_PHONES)
def test_travellers_national_numbers(region: str, written: str) -> None:
    for text in (f"my {region} number is {written} ok", f"電話は{written}です"):
        (finding,) = find(text)
        assert finding.type is EntityType.PHONE_NUMBER, text
        assert text[finding.start : finding.end] == written


def test_region_hint_accepts_any_grouping() -> None:
    text = "call 6175725961 tonight"
    assert find(text) == []  # ten bare digits could be a tracking number
    (finding,) = find(text, regions=("US",))
    assert text[finding.start : finding.end] == "6175725961"


# ------------------------------------------------- digits glued to short groups (issue 13)


@pytest.mark.parametrize(
    ("written", "card"),
    [
        ("734-131728-22-118-9-1", "34131728221189 1"),  # stray 7 on a group of 2
        ("75_40653・7509 ・ 301321", "540653 7509 301321"),  # stray 7 on a group of 1
        ("937686 / 06708/00\n013", "37686 06708 00 013"),  # stray 9 on a group of 5
        ("441~213~061018~75~6~80828", "441 213 061018 75 6 8"),  # MMYY on a group of 1
        ("5464.105.5.9645.88.15123", "5464 105 5 9645 88 15"),  # CVV on a group of 1
        ("4420 08 | 6 80,54-797 090828", "442008 6 80 54 797 09"),  # MMYY on a group of 2
    ],
)
def test_glued_digits_on_short_groups(written: str, card: str) -> None:
    digits = card.replace(" ", "")
    assert luhn_check_digit(digits[:-1]) == digits[-1]
    text = f"try this one: {written} please"
    (finding,) = [f for f in find(text) if f.type is EntityType.CREDIT_CARD]
    assert digits in re.sub("[^0-9]", "", text[finding.start : finding.end])
    assert digits not in _output_digits(mask_cards(text).text)


def test_order_numbers_keep_their_groups() -> None:
    # Rakuten (6-8-10, a date in the middle) and Amazon (3-7-7): a digit cut off a group of
    # 7+ never starts a card reading, however the rest continues.
    for order in ("329553-20240926-7194026330", "249-5418321-7042217"):
        assert [f for f in find(f"order {order} ok") if f.type is EntityType.CREDIT_CARD] == []


# ------------------------------------------------------------- My Number and parcels

MY_NUMBER = "123456789018"  # check digit 8; 12345678901 % 7 = 6, so not a parcel number
BOTH = "495782326480"  # passes the My Number check digit and the carriers' (mod 7)


def test_my_number_word_wins_over_a_reference_word() -> None:
    # The skeleton folds "ー" to "-": the words must be matched folded too.
    text = f"予約の件です。マイナンバーは{MY_NUMBER}です"
    assert [f.type for f in find(text)] == [EntityType.JP_MY_NUMBER]


def test_bare_parcel_number_is_not_a_my_number_but_is_redacted() -> None:
    assert [f.type for f in find(f"これです {MY_NUMBER}")] == [EntityType.JP_MY_NUMBER]
    assert find(f"これです {BOTH}") == []
    assert [f.type for f in find(f"マイナンバー {BOTH}")] == [EntityType.JP_MY_NUMBER]
    # The triage note is cautious: a coordinator needs neither number.
    assert redact_for_triage(f"これです {BOTH}") == "これです [my number]"
