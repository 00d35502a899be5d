"""Django's `{# … #}` comments end on the line they start on: one spread over several
lines is not a comment but text, shown to everyone (it was, on the errand page). Longer
comments use {% comment %}."""

from __future__ import annotations

import re
from pathlib import Path

import hisho

TEMPLATES = sorted(
    path
    for path in Path(hisho.__file__).parent.rglob("templates/**/*")
    if path.suffix in {".html", ".txt", ".js", ".xml"}
)


def test_there_are_templates() -> None:
    assert len(TEMPLATES) > 20


def test_no_comment_spans_lines() -> None:
    broken = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # Every {# must close on its line.
            if re.search(r"\{#(?![^\n]*#\})", line):
                broken.append(f"{path}:{number}")
    assert broken == []
