"""Worst-case inputs: make sure the work grows linearly, without asserting timings."""

import random
import re

import phonenumbers
import pytest

from hisho.dlp import find, mask_cards, redact_for_triage


def soup(size: int, alphabet: str, seed: int = 7) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(size))


@pytest.mark.parametrize(
    "alphabet",
    ["0123456789 ", "0 ", "0123456789 -.()+", "4 1", "a@b.", "a" * 9 + "@", "@", "a."],
)
def test_100kb_soups_complete(alphabet: str) -> None:
    text = soup(100_000, alphabet)
    findings = find(text)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    mask_cards(text)
    redact_for_triage(text)


def test_phone_library_calls_grow_linearly(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real_parse = phonenumbers.parse

    def counting_parse(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(phonenumbers, "parse", counting_parse)
    counts = []
    for size in (10_000, 40_000):
        calls = 0
        text = soup(size, "0000123456789  -")
        find(text)
        blocks = len(re.findall(r"[0-9]+", text))
        # At most 9 windows (7..15 digits after an IDD prefix) per starting block.
        assert calls <= 9 * blocks
        counts.append(calls)
    assert counts[0] > 0
    assert counts[1] <= 5 * counts[0]


def test_long_word_without_at_sign_is_cheap() -> None:
    # A local-part-first e-mail regex is quadratic here; ours jumps from "@" to "@".
    assert find("a" * 200_000 + "@example.com")[0].end == 200_012


@pytest.mark.parametrize(
    "vocabulary",
    [
        ["one", "two", "four", "oh", ",", "-"],  # digits spelled out, nothing else
        ["よん", "に", "いち", "・", "x"],
        ["4242", "x", "and", "4242", "1."],  # groups joined by words, numbered lines
        ["1. 4242\n", "2. 4242\n", "3. 4242\n"],
    ],
)
def test_cards_written_with_words_cost_a_bounded_number_of_checks_per_token(
    vocabulary: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hisho.dlp import spelled

    calls = 0
    real_is_card = spelled._is_card

    def counting(digits: str) -> bool:
        nonlocal calls
        calls += 1
        return real_is_card(digits)

    monkeypatch.setattr(spelled, "_is_card", counting)
    counts = []
    for size in (5_000, 20_000):
        calls = 0
        rng = random.Random(size)
        text = " ".join(rng.choice(vocabulary) for _ in range(size))
        find(text)  # one reading of it (mask_cards reads what its masks leave again)
        # Each window starts at a token and ends within 19 digits of it.
        assert calls <= 19 * size
        counts.append(calls)
    assert counts[1] <= 5 * max(counts[0], 1)
