"""Survey results for admins: aggregates only, small groups suppressed (POLICY O4/O5).

Answers are stored against the campaign alone (no person, no delivery), so results can
never put one person's answers next to their name. Below MIN_GROUP answers a question
shows no figures at all; an option or scale step chosen by fewer than MIN_GROUP people
shows as suppressed (null), and while one does, every other one of the question too (the
number of answers less the others would give it away), as does a scale's mean; free
texts (already DLP-redacted) are shown only from MIN_GROUP answers on, in an order that
says nothing about who wrote them (sorted).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hisho.outreach.models import Campaign, SurveyAnswer

MIN_GROUP = 5


def _cells(counter: Counter[int], keys: list[int]) -> list[dict[str, Any]]:
    # The question's number of answers is shown, so the hidden cells add up to it less
    # the cells shown, and each is known to be 0 to MIN_GROUP - 1 (or, hidden with it as a
    # complement, at least MIN_GROUP and at most the smallest shown): that pins them down
    # more often than not — 13 answers with "Dining: 5" and two hidden means 4 and 4; 14
    # with "Travel: 5" means the complement is 5 and the other 4. So while any choice is
    # a small group, no cell of the question is shown; only its number of answers.
    small = _small_group(counter)
    return [
        {"key": k, "count": None if small or counter[k] < MIN_GROUP else counter[k]} for k in keys
    ]


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
