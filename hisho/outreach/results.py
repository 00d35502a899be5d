"""Survey results for admins: aggregates only, small groups suppressed (POLICY O4/O5).

Answers are stored against the campaign alone (no person, no delivery), so results can
never put one person's answers next to their name. Below MIN_GROUP answers a question
shows no figures at all; an option or scale step chosen by fewer than MIN_GROUP people
shows as suppressed (null); free texts (already DLP-redacted) are shown only from
MIN_GROUP answers on, in an order that says nothing about who wrote them (sorted).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hisho.outreach.models import Campaign, SurveyAnswer

MIN_GROUP = 5


def _cells(counter: Counter[int], keys: list[int]) -> list[dict[str, Any]]:
    return [{"key": k, "count": counter[k] if counter[k] >= MIN_GROUP else None} for k in keys]


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
                entry["cells"] = _cells(
                    Counter(values), list(range(question["min"], question["max"] + 1))
                )
                entry["mean"] = round(sum(values) / len(values), 2) if values else None
            else:
                entry["texts"] = sorted(r[3] for r in mine if r[3])
        out.append(entry)
    return out
