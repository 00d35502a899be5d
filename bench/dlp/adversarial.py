"""The adversarial corpus (issue 13): what a determined user does to slip a card past DLP,
what travellers write as their own phone number, and the hard negatives that come with it.

Same templates and label convention as ``make_corpus`` (whose corpus stays unchanged for
before/after comparisons); the slots are filled by these generators instead:

* cards: every brand, any grouping (groups of 1-7 digits or 4-4-4-4), a separator drawn
  per gap from ASCII, full-width and Japanese punctuation, runs of 1-6 spaces, blank lines;
  invisible characters (zero-width space/joiners, U+2060-2064, LRM/RLM, bidi embeddings and
  isolates, soft hyphen, BOM, variation selectors, tags) and combining marks after random
  digits; keycap emoji; digits of other scripts (full-width, Arabic-Indic, Persian,
  Devanagari, Thai, mathematical bold); a stray digit glued in front or an expiry/CVV glued
  after (label: the card digits only); cards inside URLs and query strings;
* phones: Japanese as before, international as before, and national-format numbers of
  US, CA, GB, FR, DE, AU, KR, CN, TW, HK, SG and TH as those countries write them (the
  library's national format, with spaces, hyphens, dots or unbroken with the trunk 0);
* hard negatives: IMEIs and Luhn-valid order numbers written with the new separators,
  16-digit non-Luhn references grouped 4-4-4-4, dates and times with ・ 〜 / :, prices,
  postcodes, passport numbers, and everything ``make_corpus`` already had.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable

import phonenumbers

from .make_corpus import (
    CARD,
    CARD_BRANDS,
    EN_TEMPLATES,
    GENERATORS,
    JA_TEMPLATES,
    PHONE,
    Message,
    Piece,
    jp_phone,
    luhn_number,
    render,
)

DEFAULT_SEED = 20260613
DEFAULT_SIZE = 1600
NATIONAL_REGIONS = ("US", "CA", "GB", "FR", "DE", "AU", "KR", "CN", "TW", "HK", "SG", "TH")

SEPARATORS = [
    " ", "-", ".", ",", "/", ":", "|", " | ", "*", "_", "~", "・", "、", "。", "〜", "ー",
    "－", "／", "　", "．", "，", "：", "–", " - ", " / ", "    ", "     ", "\n", "\n\n",
    "\r\n", "\t", " ・ ", "＊", "｜", "#", "=",
]  # fmt: skip
INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\u2061", "\u2063", "\u200e", "\u200f",
    "\u202a", "\u202c", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u00ad",
    "\ufeff", "\ufe0f", "\ufe0e", "\U000e0101", "\u0301", "\u0336", "\u20dd", "\u034f",
    "\U000e0020",
]  # fmt: skip
DIGIT_BASES = [0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0xE50, 0x1D7CE]


def _digit(rng: random.Random, ch: str, base: int) -> str:
    return chr(base + int(ch))


def adversarial_card(rng: random.Random, lang: str) -> Piece:
    name, _, prefixes, lengths = rng.choices(CARD_BRANDS, weights=[b[1] for b in CARD_BRANDS])[0]
    digits = luhn_number(rng, rng.choice(prefixes), rng.choice(lengths))
    style = rng.choice(["groups", "groups", "random_groups", "plain"])
    if style == "groups":
        if len(digits) in (14, 15):  # Diners 4-6-4, Amex 4-6-5
            groups = [digits[:4], digits[4:10], digits[10:]]
        else:
            groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    elif style == "random_groups":
        groups, position = [], 0
        while position < len(digits):  # groups of 1-6 digits, as people group numbers
            size = rng.randint(1, 6)
            groups.append(digits[position : position + size])
            position += size
    else:
        groups = [digits]
    mixed = rng.random() < 0.4
    separator = rng.choice(SEPARATORS)
    keycap = rng.random() < 0.08
    base = rng.choice(DIGIT_BASES) if rng.random() < 0.3 else 0x30
    invisible_rate = rng.choice([0.0, 0.0, 0.15, 0.5, 1.0])
    parts: list[str] = []
    for g, group in enumerate(groups):
        if g:
            parts.append(rng.choice(SEPARATORS) if mixed else separator)
        for ch in group:
            if keycap:
                parts.append(ch + "\ufe0f\u20e3")
                continue
            parts.append(_digit(rng, ch, base))
            if rng.random() < invisible_rate:
                parts.append(rng.choice(INVISIBLE))
    written = "".join(parts)
    lead = trail = ""
    glue = rng.random()
    if glue < 0.12:
        lead = rng.choice("0123456789")
    elif glue < 0.3:
        trail = rng.choice(["1227", "12/27", "/27", "0828", "123", "12/2027"])
    tag = f"card:{name}:{style}{':mixed' if mixed else ''}{':keycap' if keycap else ''}"
    if lead or trail:
        tag += ":glued"
    if len(digits) == 13 and ((lead and trail) or (trail[:2].isdigit() and len(trail) < 3)):
        trail = ""  # documented limit (docs/dlp.md): Visa-13 glued on both sides
    if rng.random() < 0.08 and not keycap:
        lead, written, trail = "https://pay.example.com/checkout?card=" + lead, written, trail
        return Piece(
            lead + written + trail + "&amp=1", CARD, tag + ":url", len(lead), len(trail) + 6
        )
    return Piece(lead + written + trail, CARD, tag, len(lead), len(trail))


def national_phone(rng: random.Random, lang: str) -> Piece:
    region = rng.choice(NATIONAL_REGIONS)
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    )
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = phonenumbers.national_significant_number(example)
    keep = max(3, len(national) - 5)
    number = example
    for _ in range(100):
        candidate = national[:keep] + "".join(
            rng.choice("0123456789") for _ in range(len(national) - keep)
        )
        parsed = phonenumbers.parse("+" + str(example.country_code) + candidate)
        if phonenumbers.is_valid_number(parsed) and (
            phonenumbers.region_code_for_number(parsed) == region
        ):
            number = parsed
            break
    written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    style = rng.choice(["as_is", "as_is", "hyphen", "dot", "plain"])
    if style == "hyphen":
        written = written.replace(" ", "-").replace("(", "").replace(")", "")
    elif style == "dot" and region in ("US", "CA", "FR"):
        written = written.replace(" ", ".").replace("(", "").replace(")", "").replace("-", ".")
    elif style == "plain" and written.startswith("0"):
        written = "".join(ch for ch in written if ch.isdigit())
    else:
        style = "as_is"
    return Piece(written, PHONE, f"phone:national:{region}:{style}")


def any_phone(rng: random.Random, lang: str) -> Piece:
    roll = rng.random()
    if roll < 0.45:
        return jp_phone(rng, lang)
    if roll < 0.8:
        return national_phone(rng, lang)
    return GENERATORS["foreign_phone"](rng, lang)


def foreign_any(rng: random.Random, lang: str) -> Piece:
    if rng.random() < 0.6:
        return national_phone(rng, lang)
    return GENERATORS["foreign_phone"](rng, lang)


def _sep_join(rng: random.Random, groups: list[str]) -> str:
    separator = rng.choice([" ", "-", ":", "・", "/", " | ", "*", "."])
    return separator.join(groups)


def adversarial_order(rng: random.Random, lang: str) -> Piece:
    kind = rng.choice(["nonluhn16", "luhn16", "colon", "base"])
    if kind == "nonluhn16":
        while True:
            digits = "".join(rng.choice("0123456789") for _ in range(16))
            body = digits[:15]
            from hisho.dlp.cards import luhn_check_digit

            if digits[15] != luhn_check_digit(body):
                break
        written = " ".join(digits[i : i + 4] for i in range(0, 16, 4))
        if rng.random() < 0.5:
            written = written.replace(" ", "-")
        return Piece(written, None, "neg:order:nonluhn16")
    if kind in ("luhn16", "colon"):
        digits = luhn_number(rng, rng.choice(["1", "7", "9", "0"]), 16)
        return Piece(
            _sep_join(rng, [digits[i : i + 4] for i in range(0, 16, 4)]),
            None,
            f"neg:order:{kind}",
        )
    return GENERATORS["order"](rng, lang)


def adversarial_imei(rng: random.Random, lang: str) -> Piece:
    digits = luhn_number(rng, rng.choice(["35", "35", "01", "86", "99", "49"]), 15)
    style = rng.random()
    if style < 0.3:
        separator = rng.choice(["-", " ", "/", "・"])
        written = separator.join([digits[:2], digits[2:8], digits[8:14], digits[14]])
    elif style < 0.4:
        written = f"{digits[:8]} {digits[8:]}"
    else:
        written = digits
    return Piece(written, None, "neg:imei")


def adversarial_date(rng: random.Random, lang: str) -> Piece:
    y, m, d = rng.choice([2025, 2026]), rng.randint(1, 12), rng.randint(1, 28)
    h = rng.randint(8, 21)
    written = rng.choice(
        [
            f"{y}・{m:02d}・{d:02d}",
            f"{y}/{m}/{d} {h}:00〜{h + 1}:30",
            f"{m}/{d}〜{m}/{d + 1}",
            f"{y}.{m:02d}.{d:02d} {h}:30",
            f"{d:02d}/{m:02d}/{y}",
            f"{y}-{m:02d}-{d:02d}T{h:02d}:15:00",
        ]
    )
    return Piece(written, None, "neg:date")


def passport(rng: random.Random, lang: str) -> Piece:
    written = rng.choice(["TK", "TR", "MZ", "C0", "E"]) + str(rng.randint(1000000, 9999999))
    return Piece(written, None, "neg:passport")


ADVERSARIAL: dict[str, Callable[[random.Random, str], Piece]] = {
    **GENERATORS,
    "card": adversarial_card,
    "phone": any_phone,
    "foreign_phone": foreign_any,
    "order": adversarial_order,
    "imei": adversarial_imei,
    "date": lambda rng, lang: (
        adversarial_date(rng, lang) if rng.random() < 0.6 else GENERATORS["date"](rng, lang)
    ),
    "tracking": lambda rng, lang: (
        passport(rng, lang) if rng.random() < 0.25 else GENERATORS["tracking"](rng, lang)
    ),
}


def build_adversarial(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> list[Message]:
    rng = random.Random(seed)
    messages: list[Message] = []
    for index in range(size):
        lang = "ja" if rng.random() < 0.5 else "en"
        topic, template = rng.choice(JA_TEMPLATES if lang == "ja" else EN_TEMPLATES)
        text, spans, tags = render(rng, template, lang, ADVERSARIAL)
        messages.append(Message(f"a{index:05d}", lang, topic, text, spans, tags))
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--out", help="write JSON lines here instead of stdout")
    args = parser.parse_args(argv)
    corpus = build_adversarial(args.seed, args.size)
    lines = "".join(json.dumps(m.to_json(), ensure_ascii=False) + "\n" for m in corpus)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
