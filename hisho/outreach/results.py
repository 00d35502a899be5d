"""Survey results for admins: aggregates only, small groups suppressed (POLICY O4/O5).

Answers are stored against the campaign alone (no person, no delivery), so results can
never put one person's answers next to their name. Below MIN_GROUP answers a question
shows no figures at all; an option or scale step chosen by fewer than MIN_GROUP people
shows as suppressed (null), with a second one when the number of answers less the others
would give it away, and a scale's mean only when no step is such a small group; free
texts (already DLP-redacted) are shown only from MIN_GROUP answers on, in an order that
says nothing about who wrote them (sorted).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hisho.outreach.models import Campaign, SurveyAnswer

MIN_GROUP = 5


def _cells(counter: Counter[int], keys: list[int]) -> list[dict[str, Any]]:
    hidden = {k for k in keys if counter[k] < MIN_GROUP}
    # The question's number of answers is shown: with one cell hidden, that number less
    # the cells shown would give it exactly (6 answers, "Dining: 5" → one chose Travel).
    # So a second cell is hidden with it, the smallest shown (complementary suppression) —
    # unless nobody chose it: that the rest add up to every answer says no more than 0.
    lone = next(iter(hidden)) if len(hidden) == 1 else None
    if lone is not None and counter[lone] > 0 and len(keys) > 1:
        hidden.add(min((k for k in keys if k not in hidden), key=lambda k: (counter[k], k)))
    return [{"key": k, "count": None if k in hidden else counter[k]} for k in keys]


def _small_group(counter: Counter[int]) -> bool:
    """Some choice was made by more than nobody and fewer than MIN_GROUP people."""
    return any(0 < n < MIN_GROUP for n in counter.values())


def results(campaign: Campaign) -> list[dict[str, Any]]:
    rows = list(
        SurveyAnswer.objects.filter(campaign=campaign).values_list(
            "question", "choice", "value", "text"
        )
    )
    out = []
    for index, question in enumerate(campaign.questions):
        mine = [r for r in rows if r[0] == index]
        entry: dict[str, Any] = {
            "question": index,
            "kind": question["kind"],
            "text": question["text"],
            "answers": len(mine),
            "suppressed": len(mine) < MIN_GROUP,
            "cells": [],
            "mean": None,
            "texts": [],
        }
        if not entry["suppressed"]:
            if question["kind"] == "choice":
                entry["cells"] = _cells(
                    Counter(r[1] for r in mine if r[1] is not None),
                    list(range(len(question["options"]))),
                )
            elif question["kind"] == "scale":
                values = [r[2] for r in mine if r[2] is not None]
                steps = Counter(values)
                entry["cells"] = _cells(steps, list(range(question["min"], question["max"] + 1)))
                # The mean weighs every answer: beside the steps shown it would give the
                # hidden ones away (6 answers, "4: 5", average 3.67 → the sixth chose 2).
                if values and not _small_group(steps):
                    entry["mean"] = round(sum(values) / len(values), 2)
            else:
                entry["texts"] = sorted(r[3] for r in mine if r[3])
        out.append(entry)
    return out
