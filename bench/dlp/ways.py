"""Ways of typing one card: which of them still get a card number stored?

A battery of 80 ways a customer might write a Visa number (and an Amex for the spelled-out
and grouped cases) — separators, scripts and digit forms, words, look-alike letters, lists,
markup, encodings, overrides — each inside a short sentence, through what the service
does with client text: ``mask_cards(distrust_typed_masks(text))``. A way *passes* when eight
of the card's digits in a row survive outside a mask (or, written without digits, when
nothing was masked). The figure is the count that pass; docs/dlp.md says which are known.

Usage (from the repository root)::

    python -m bench.dlp.ways [--json]
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import urllib.parse
from collections.abc import Callable

from hisho.dlp import distrust_typed_masks, mask_cards

CARD = "4111111111111111"
AMEX = "378282246310005"
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_MASK = re.compile(r"\[card ••••[0-9]{4}\]")


def grouped(card: str, separator: str) -> str:
    return separator.join(card[k : k + 4] for k in range(0, len(card), 4))


def spelled(card: str, separator: str = " ") -> str:
    return separator.join(WORDS[int(d)] for d in card)


def digits_as(table: str) -> Callable[[str], str]:
    return lambda text: text.translate(str.maketrans("0123456789", table))


WAYS: dict[str, str] = {
    "plain": CARD,
    "spaces": grouped(CARD, " "),
    "dashes": grouped(CARD, "-"),
    "dots": grouped(CARD, "."),
    "slashes": grouped(CARD, "/"),
    "underscores": grouped(CARD, "_"),
    "every digit spaced": " ".join(CARD),
    "every digit dotted": ".".join(CARD),
    "every digit dashed": "-".join(CARD),
    "pairs": " ".join(CARD[k : k + 2] for k in range(0, 16, 2)),
    "threes": " ".join(CARD[k : k + 3] for k in range(0, 16, 3)),
    "full-width digits": digits_as("０１２３４５６７８９")(grouped(CARD, " ")),
    "Japanese long-vowel mark": grouped(CARD, "ー"),
    "Japanese comma": grouped(CARD, "、"),
    "line breaks": grouped(CARD, "\n"),
    "CRLF": grouped(CARD, "\r\n"),
    "tabs": grouped(CARD, "\t"),
    "no-break spaces": grouped(CARD, "\u00a0"),
    "ideographic spaces": grouped(CARD, "\u3000"),
    "zero-width spaces": "\u200b".join(CARD),
    "in a URL": f"https://pay.example.com/?card={CARD}&exp=1227",
    "as an e-mail local part": f"{CARD}@example.com",
    "in JSON": json.dumps({"card": CARD}),
    "glued to words": f"card{CARD}exp",
    "in a Japanese sentence": f"カード番号は{CARD}です",
    "with expiry and CVV": f"{grouped(CARD, ' ')} 12/27 123",
    "kanji numerals": digits_as("〇一二三四五六七八九")(grouped(CARD, " ")),
    "Arabic-Indic digits": digits_as("٠١٢٣٤٥٦٧٨٩")(CARD),
    "Devanagari digits": digits_as("०१२३४५६७८९")(CARD),
    "circled digits": digits_as("⓪①②③④⑤⑥⑦⑧⑨")(grouped(CARD, " ")),
    "superscript digits": digits_as("⁰¹²³⁴⁵⁶⁷⁸⁹")(CARD),
    "mathematical bold digits": digits_as("𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗")(CARD),
    "keycap emoji": "".join(d + "\ufe0f\u20e3" for d in CARD),
    "English words": ", ".join(spelled(CARD[k : k + 4]) for k in range(0, 16, 4)),
    "x between the groups": grouped(CARD, "x"),
    "and between the groups": grouped(CARD, " and "),
    "a numbered list": "\n".join(f"{k}. {g}" for k, g in enumerate(grouped(CARD, " ").split(), 1)),
    "look-alike l for 1": grouped(CARD, " ").replace("1", "l"),
    "look-alike I for 1": grouped(CARD, " ").replace("1", "I"),
    "HTML tags": " ".join(f"<b>{g}</b>" for g in grouped(CARD, " ").split()),
    "HTML character references": "".join(f"&#{ord(d)};" for d in CARD),
    "percent-encoded": urllib.parse.quote(grouped(CARD, " ")),
    "base64": base64.b64encode(CARD.encode()).decode(),
    "typed backwards": CARD[::-1],
    "nine spaces between the groups": grouped(CARD, " " * 9),
    "an emoji between the groups": grouped(CARD, "🎉"),
    "a row of emoji between the groups": grouped(CARD, "🎉" * 9),
    "labelled lines": "first: 4111\nsecond: 1111\nthird: 1111\nfourth: 1111",
    "labelled items on one line": "G1: 4111 G2: 1111 G3: 1111 G4: 1111",
    "Amex grouped 4-6-5": f"{AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}",
    "Amex in words": spelled(AMEX),
    "quoted groups": '"4111" "1111" "1111" "1111"',
    "brackets": "[4111][1111][1111][1111]",
    "parentheses": "(4111)(1111)(1111)(1111)",
    "plus signs": grouped(CARD, "+"),
    "asterisks": grouped(CARD, "*"),
    "hashes": "#" + grouped(CARD, "#"),
    "mixed separators": "4111-1111 1111.1111",
    "a right-to-left override": "\u202e" + CARD[::-1] + "\u202c",
    "two lines of two groups": "4111 1111\n1111 1111",
    "Markdown code": f"`{CARD}`",
    "a Markdown table": "| 4111 | 1111 | 1111 | 1111 |",
    "Hangul fillers": "\u3164".join(grouped(CARD, " ").split()),
    "soft hyphens": "\u00ad".join(CARD),
    "word joiners": "\u2060".join(CARD),
    "combining accents": "".join(d + "\u0301" for d in CARD),
    "minus signs": grouped(CARD, "\u2212"),
    "wave dashes": grouped(CARD, "〜"),
    "middle dots": grouped(CARD, "・"),
    "colons": grouped(CARD, ":"),
    "semicolons": grouped(CARD, ";"),
    "pipes": grouped(CARD, "|"),
    "commas": grouped(CARD, ","),
    "hex": CARD.encode().hex(),
    "kana and digits": "よんいちいちいち 1111 1111 1111",
    "English words with hyphens": spelled(CARD, "-"),
    "English words in capitals": spelled(CARD).upper(),
    "English words glued": spelled(CARD, ""),
    "tens in words": "forty-one eleven eleven eleven eleven eleven eleven eleven",
    "a label and wide spaces": "card:        4111 1111 1111 1111",
}


def passes(way: str) -> bool:
    text = f"my card {way} thanks"
    out = mask_cards(distrust_typed_masks(text)).text
    left = "".join(ch for ch in _MASK.sub("", out) if ch.isdigit())
    stored = any(card[k : k + 8] in left for card in (CARD, AMEX) for k in range(len(card) - 7))
    return stored or out == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    passing = [name for name, way in WAYS.items() if passes(way)]
    if args.json:
        json.dump({"ways": len(WAYS), "pass": passing}, sys.stdout)
        return 0
    print(f"{len(WAYS)} ways of typing a card; {len(passing)} get it stored:")
    for name in passing:
        print(f"  - {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
