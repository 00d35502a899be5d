"""Ordinary values in lists: how often does the card detector mask something that is no card?

Customers paste schedules, price lists and several phone or tracking numbers into one
message. Each value alone is a hard negative the corpora already hold; a *list* of them is a
long chain of digit blocks joined by punctuation, in which the card detector (which reads
any short run of punctuation as a separator, recall first) can find a Luhn-valid reading
that starts inside one value and ends inside another. This generator makes, per format,
``--per-format`` random lists of 2-5 valid values joined the ways people join them, and
reports the share in which ``hisho.dlp.find`` reports a card.

Usage (from the repository root)::

    python -m bench.dlp.lists [--seed 20261130] [--per-format 300] [--json]

Every value is valid of its kind (times of day, ranges that end after they start, phone
numbers that ``phonenumbers`` accepts, EAN-13 barcodes with their check digit), so a value
a detector could tell apart by validity is not counted against it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable

import phonenumbers

from hisho.dlp import EntityType, find

from .make_corpus import jp_national

DEFAULT_SEED = 20261130
DEFAULT_PER_FORMAT = 300
# How people join the items of a list (the item's own punctuation is the format's).
JOINERS = ["、", ", ", ",", "; ", "\n", " / ", " ", "，", "・", " | "]
RANGE_DASHES = ["-", "〜", "~", "–", " - ", "ー", "～"]
REGIONS = ("JP", "US", "GB", "FR", "DE", "AU", "KR", "CN", "TW", "HK", "SG", "TH")


def _time(rng: random.Random, hour_from: int = 7, hour_to: int = 21) -> tuple[int, int]:
    return rng.randint(hour_from, hour_to), rng.choice([0, 0, 10, 15, 20, 30, 30, 45])


def _clock(hour: int, minute: int, rng: random.Random) -> str:
    return f"{hour:02d}:{minute:02d}" if rng.random() < 0.3 else f"{hour}:{minute:02d}"


def time_range(rng: random.Random) -> str:
    hour, minute = _time(rng, 7, 20)
    end_hour, end_minute = hour + rng.randint(1, 3), rng.choice([0, 15, 30, 45])
    return (
        f"{_clock(hour, minute, rng)}{rng.choice(RANGE_DASHES)}{_clock(end_hour, end_minute, rng)}"
    )


def time_of_day(rng: random.Random) -> str:
    return _clock(*_time(rng, 0, 23), rng)


def dated_slot(rng: random.Random) -> str:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    date = rng.choice([f"{month}/{day}", f"{month:02d}/{day:02d}", f"2026/{month}/{day}"])
    return f"{date} {time_range(rng)}"


def date(rng: random.Random) -> str:
    year, month, day = rng.choice([2025, 2026, 2027]), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [f"{year}/{month:02d}/{day:02d}", f"{year}-{month:02d}-{day:02d}", f"{month}/{day}",
         f"{year}.{month}.{day}", f"{day:02d}/{month:02d}/{year}"]
    )  # fmt: skip


def international_phone(rng: random.Random) -> str:
    return phonenumbers.format_number(
        valid_number(rng, rng.choice(REGIONS)), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def valid_number(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    """A random valid mobile or fixed-line number of ``region``."""
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    )
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = phonenumbers.national_significant_number(example)
    keep = max(2, len(national) - 6)
    while True:
        digits = national[:keep] + "".join(rng.choice("0123456789") for _ in national[keep:])
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(number):
            return number


def jp_landline(rng: random.Random) -> str:
    while True:
        number = jp_national(rng)
        if not number.startswith(("070", "080", "090", "050", "0120")):
            return number


def jp_mobile(rng: random.Random) -> str:
    return f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"


def tracking(rng: random.Random) -> str:
    first = rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(10))
    digits = first + str(int(first) % 7)
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}" if rng.random() < 0.7 else digits


def price(rng: random.Random) -> str:
    yen = rng.choice(
        [rng.randint(1, 99) * 100, rng.randint(100, 99999), rng.randint(1, 300) * 1000]
    )
    return rng.choice(
        [f"¥{yen:,}", f"￥{yen:,}", f"{yen:,}円", f"{yen:,} yen", f"${yen / 100:,.2f}",
         f"€{yen / 150:,.2f}", f"{yen:,}"]
    )  # fmt: skip


def _ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str(-total % 10)


def barcode(rng: random.Random) -> str:
    """A Japanese product's EAN-13 (GS1 Japan prefixes 45 and 49), as printed under it."""
    return _ean13(rng.choice(["45", "49"]) + "".join(rng.choice("0123456789") for _ in range(10)))


def postcode(rng: random.Random) -> str:
    return f"{rng.choice(['〒', ''])}{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"


def amazon_order(rng: random.Random) -> str:
    return f"{rng.randint(249, 250)}-{rng.randint(0, 9999999):07d}-{rng.randint(0, 9999999):07d}"


FORMATS: dict[str, Callable[[random.Random], str]] = {
    "time ranges": time_range,
    "times of day": time_of_day,
    "dated slots": dated_slot,
    "dates": date,
    "international phones": international_phone,
    "Japanese landlines": jp_landline,
    "Japanese mobiles": jp_mobile,
    "tracking numbers": tracking,
    "prices": price,
    "EAN-13 barcodes": barcode,
    "postcodes": postcode,
    "order numbers (249/250-…)": amazon_order,
}


def make_list(rng: random.Random, value: Callable[[random.Random], str]) -> str:
    count = rng.randint(1, 5) if value is barcode else rng.randint(2, 5)
    return rng.choice(JOINERS).join(value(rng) for _ in range(count))


def measure(seed: int, per_format: int) -> dict[str, tuple[int, int, str]]:
    """format -> (lists masked as a card, lists, first example masked)."""
    rng = random.Random(seed)
    report: dict[str, tuple[int, int, str]] = {}
    for name, value in FORMATS.items():
        masked, example = 0, ""
        for _ in range(per_format):
            text = make_list(rng, value)
            if find(text, (EntityType.CREDIT_CARD,)):
                masked += 1
                example = example or text
        report[name] = (masked, per_format, example)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--per-format", type=int, default=DEFAULT_PER_FORMAT)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = measure(args.seed, args.per_format)
    if args.json:
        json.dump({k: {"masked": m, "lists": n} for k, (m, n, _) in report.items()}, sys.stdout)
        return 0
    print(f"Lists of ordinary values masked as a card (seed {args.seed}, {args.per_format} each)\n")
    print("| format | masked | example masked |")
    print("|---|---:|---|")
    for name, (masked, total, example) in report.items():
        shown = json.dumps(example, ensure_ascii=False)[:70] if example else ""
        print(f"| {name} | {masked / total:.1%} ({masked}/{total}) | `{shown}` |")
    masked = sum(m for m, _, _ in report.values())
    total = sum(n for _, n, _ in report.values())
    print(f"| **all** | **{masked / total:.1%}** ({masked}/{total}) | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
