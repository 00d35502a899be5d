"""Survey questions and answers: their shape, checked before anything is stored.

A question is one of
    {"kind": "choice", "text": {"en", "ja"}, "options": [{"en", "ja"}, …]}   (2–10 options)
    {"kind": "scale",  "text": {"en", "ja"}, "min": 1, "max": 5}            (2–11 steps)
    {"kind": "text",   "text": {"en", "ja"}}                                (≤ TEXT_MAX)
and an answer names its question by index with `choice` (option index), `value` (on the
scale) or `text`. Every failure is an InvalidInput naming the field (422), nothing else.
"""

from __future__ import annotations

from typing import Any

from hisho.errors import InvalidInput
from hisho.inbound import scrub

QUESTIONS_MAX = 10
OPTIONS_MAX = 10
QUESTION_TEXT_MAX = 300
TEXT_MAX = 2000
KINDS = ("choice", "scale", "text")


def _bilingual(value: Any, field: str, max_length: int) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"en", "ja"}:
        raise InvalidInput(field, "Give the text in English and Japanese: {en, ja}.")
    return {
        lang: scrub(f"{field}.{lang}", value[lang], max_length=max_length, required=True).text
        if isinstance(value[lang], str)
        else _not_text(f"{field}.{lang}")
        for lang in ("en", "ja")
    }


def _not_text(field: str) -> str:
    raise InvalidInput(field, "Must be text.")


def clean_questions(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= QUESTIONS_MAX:
        raise InvalidInput("questions", f"A survey has 1 to {QUESTIONS_MAX} questions.")
    cleaned = []
    for index, question in enumerate(raw):
        field = f"questions.{index}"
        if not isinstance(question, dict) or question.get("kind") not in KINDS:
            raise InvalidInput(f"{field}.kind", "One of choice, scale, text.")
        kind = question["kind"]
        allowed = {"kind", "text"} | {"choice": {"options"}, "scale": {"min", "max"}}.get(
            kind, set()
        )
        if set(question) - allowed:
            raise InvalidInput(field, f"Unknown fields: {sorted(set(question) - allowed)}.")
        out: dict[str, Any] = {
            "kind": kind,
            "text": _bilingual(question.get("text"), f"{field}.text", QUESTION_TEXT_MAX),
        }
        if kind == "choice":
            options = question.get("options")
            if not isinstance(options, list) or not 2 <= len(options) <= OPTIONS_MAX:
                raise InvalidInput(f"{field}.options", f"2 to {OPTIONS_MAX} options.")
            out["options"] = [
                _bilingual(o, f"{field}.options.{i}", QUESTION_TEXT_MAX)
                for i, o in enumerate(options)
            ]
        elif kind == "scale":
            low, high = question.get("min", 1), question.get("max", 5)
            if type(low) is not int or type(high) is not int or not 0 <= low < high <= 10:
                raise InvalidInput(f"{field}.max", "A scale from 0–9 up to at most 10.")
            out["min"], out["max"] = low, high
        cleaned.append(out)
    return cleaned


def clean_answer(questions: list[dict[str, Any]], answer: Any, index: int) -> dict[str, Any]:
    """One answer, checked against its question (free text is not yet DLP-redacted)."""
    field = f"answers.{index}"
    if not isinstance(answer, dict) or type(answer.get("question")) is not int:
        raise InvalidInput(f"{field}.question", "Which question (its index).")
    number = answer["question"]
    if not 0 <= number < len(questions):
        raise InvalidInput(f"{field}.question", "No such question.")
    question = questions[number]
    kind = question["kind"]
    key = {"choice": "choice", "scale": "value", "text": "text"}[kind]
    if set(answer) != {"question", key}:
        raise InvalidInput(field, f"Answer question {number} with `{key}` only.")
    value = answer[key]
    if kind == "choice" and (type(value) is not int or not 0 <= value < len(question["options"])):
        raise InvalidInput(f"{field}.choice", "No such option.")
    if kind == "scale" and (
        type(value) is not int or not question["min"] <= value <= question["max"]
    ):
        raise InvalidInput(f"{field}.value", "Outside the scale.")
    if kind == "text":
        if not isinstance(value, str):
            raise InvalidInput(f"{field}.text", "Must be text.")
        value = scrub(f"{field}.text", value, max_length=TEXT_MAX).text
    return {"question": number, key: value}
