"""Masking what was masked: how many passes does ``mask_cards`` need on real-shaped text?

A mask ends the chain of digits it stood in, and what is left is read on its own
(docs/dlp.md, "Masking what was masked"). Each case is 2 to ``--values`` random values —
numbers of 1–9 digits and, one time in four, a Luhn-valid card (Visa, Mastercard,
Discover, Amex, JCB) — glued by a space, a hyphen, ``@``, a slash, a dot, nothing, a line
break or a comma. The bench masks each case one pass at a time and counts the passes
after which nothing more is read: one pass means a single reading was enough, which was
all ``mask_cards`` did before the eighth round.

Usage (from the repository root)::

    python -m bench.dlp.remask [--seed 20261201] [--cases 20000] [--values 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter

from hisho.dlp import _mask_once
from hisho.dlp.cards import luhn_check_digit

DEFAULT_SEED = 20261201
DEFAULT_CASES = 20000
PREFIXES = ("4", "51", "55", "6011", "37", "35")
GLUES = (" ", "-", "@", "/", ".", "", "", "\n", ", ")
# No text in the corpus needs more; a text built to need more is not counted past this.
PASSES_SHOWN = 8


def _card(rng: random.Random) -> str:
    prefix = rng.choice(PREFIXES)
    length = 15 if prefix == "37" else 16
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - 1 - len(prefix)))
    return body + luhn_check_digit(body)


def make_case(rng: random.Random, values: int) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(2, values)):
        if rng.random() < 0.25:
            parts.append(_card(rng))
        else:
            parts.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9))))
        parts.append(rng.choice(GLUES))
    return "".join(parts)


def passes(text: str) -> int:
    """Passes that mask something (0: no card), up to PASSES_SHOWN."""
    count = 0
    while count < PASSES_SHOWN:
        text, found = _mask_once(text)
        if not found:
            break
        count += 1
    return count


def measure(seed: int, cases: int, values: int) -> tuple[Counter[int], list[str]]:
    """(cases by passes needed, first cases needing more than one)."""
    rng = random.Random(seed)
    needed, examples = Counter[int](), []
    for _ in range(cases):
        text = make_case(rng, values)
        n = passes(text)
        needed[n] += 1
        if n > 1 and len(examples) < 6:
            examples.append(text)
    return needed, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--values", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    needed, examples = measure(args.seed, args.cases, args.values)
    if args.json:
        json.dump({"cases": args.cases, "passes": dict(sorted(needed.items()))}, sys.stdout)
        return 0
    cases = f"{args.cases} cases of 2-{args.values} values"
    print(f"Passes mask_cards needs (seed {args.seed}, {cases})")
    for n, count in sorted(needed.items()):
        print(f"  {n} pass{'es' if n != 1 else ''}: {count} ({count / args.cases:.2%})")
    for text in examples:
        print("  ", json.dumps(text, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
