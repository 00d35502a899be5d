"""Cards typed in lists, next to other values: how often is one missed?

The counterpart of ``bench.dlp.lists`` (lists of ordinary values masked as a card). A
customer types a card's groups on separate lines or between list marks, and what stands
before or after it in the message is another value — a date, a time range, a phone
number, an order number — joined to the card by a hyphen, a slash, nothing, a space or a
list mark. Each case is one random card (Visa, Mastercard, JCB in 4-4-4-4; Amex in 4-6-5),
its groups joined by one random list joiner, one neighbour value of a random format glued
before or after it (or both) with a random glue. A case is *missed* when a digit window
of eight of the card's digits survives masking.

Usage (from the repository root)::

    python -m bench.dlp.cards_in_lists [--seed 20261201] [--cases 12000] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter

from hisho.dlp import mask_cards
from hisho.dlp.cards import luhn_check_digit

from .lists import FORMATS

DEFAULT_SEED = 20261201
DEFAULT_CASES = 12000
# Between the card's own groups: list marks, as a person types a card on separate lines.
GROUP_JOINERS = ["、", ", ", ",", "; ", "\n", " / ", "，", "・", " | ", "\n\n", "。", " "]
# Between the card and the value next to it.
GLUES = ["-", "/", "", " ", "、", ", ", "\n", ": ", " - "]
PREFIXES = {"visa": ("4",), "mastercard": ("51", "52", "53", "54", "55", "2221", "2720"),
            "jcb": ("3528", "3530", "3589"), "amex": ("34", "37")}  # fmt: skip


def _number(rng: random.Random) -> str:
    """A bare number next to the card, as people write them: a count, a year, a code."""
    return str(rng.choice([rng.randint(1, 99), rng.randint(100, 9999), rng.randint(10**5, 10**8)]))


def card(rng: random.Random) -> tuple[str, list[str]]:
    """A random Luhn-valid card and its groups as printed (4-4-4-4, Amex 4-6-5)."""
    brand = rng.choice(list(PREFIXES))
    body = rng.choice(PREFIXES[brand])
    length = 15 if brand == "amex" else 16
    body += "".join(rng.choice("0123456789") for _ in range(length - 1 - len(body)))
    digits = body + luhn_check_digit(body)
    sizes = (4, 6, 5) if brand == "amex" else (4, 4, 4, 4)
    groups, at = [], 0
    for size in sizes:
        groups.append(digits[at : at + size])
        at += size
    return digits, groups


def make_case(rng: random.Random) -> tuple[str, str, str, str]:
    """(text, card digits, neighbour format, glue)."""
    digits, groups = card(rng)
    typed = rng.choice(GROUP_JOINERS).join(groups)
    name = rng.choice([*FORMATS, "bare number"])
    value = FORMATS.get(name, _number)
    glue = rng.choice(GLUES)
    side = rng.choice(["before", "after", "both"])
    text = typed
    if side in ("before", "both"):
        text = value(rng) + glue + text
    if side in ("after", "both"):
        text = text + glue + value(rng)
    return text, digits, name, glue


_MASK = re.compile(r"\[card ••••[0-9]{4}\]")


def missed(text: str, digits: str) -> bool:
    """Do eight of the card's digits in a row survive masking? (Not counting the last four
    a mask shows: ``4061-3461-9774-[card ••••8414]`` hides ``…9774 8414``.)"""
    left = "".join(ch for ch in _MASK.sub("", mask_cards(text).text) if ch.isdigit())
    return any(digits[k : k + 8] in left for k in range(len(digits) - 7))


def measure(seed: int, cases: int) -> tuple[int, Counter[str], Counter[str], list[str]]:
    """(missed, missed by glue, missed by neighbour format, first examples)."""
    rng = random.Random(seed)
    total, by_glue, by_format, examples = 0, Counter[str](), Counter[str](), []
    for _ in range(cases):
        text, digits, name, glue = make_case(rng)
        if missed(text, digits):
            total += 1
            by_glue[glue] += 1
            by_format[name] += 1
            if len(examples) < 12:
                examples.append(text)
    return total, by_glue, by_format, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    total, by_glue, by_format, examples = measure(args.seed, args.cases)
    if args.json:
        json.dump({"missed": total, "cases": args.cases, "by_glue": by_glue,
                   "by_format": by_format}, sys.stdout)  # fmt: skip
        return 0
    print(f"Cards typed in lists next to other values (seed {args.seed}, {args.cases} cases)\n")
    print(f"missed: {total / args.cases:.2%} ({total}/{args.cases})")
    print("by glue:", ", ".join(f"{json.dumps(g)} {n}" for g, n in by_glue.most_common()))
    print("by neighbour:", ", ".join(f"{f} {n}" for f, n in by_format.most_common()))
    for text in examples:
        print("  ", json.dumps(text, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
