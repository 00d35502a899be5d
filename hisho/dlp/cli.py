"""``hisho dlp-scan``: JSON lines in, findings out.

Input, one JSON object per line: ``{"id": ..., "text": "..."}``. Output, one line per input
line: ``{"id": ..., "findings": [{"type", "start", "end"}]}`` where offsets are Python string
indices (code points) into ``text``. A bad line yields ``{"id": <id or null>, "error": ...}``
and the run goes on; the exit status is 1 if any line was bad. Error messages never quote the
input, which may hold the very data we are looking for.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

from . import find


def _lines(stdin: IO[str]) -> Iterator[tuple[str | None, str | None]]:
    """Yield (line, decoding problem). Reads bytes when it can, so that one line of invalid
    UTF-8 is reported as a bad line instead of aborting the whole run."""
    raw = getattr(stdin, "buffer", None)
    if raw is None:
        for line in stdin:
            yield line, None
        return
    for chunk in raw:
        try:
            yield chunk.decode("utf-8"), None
        except UnicodeDecodeError:
            yield None, "not valid UTF-8"


def _not_json(constant: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON (RFC 8259) does not have; echoed
    # back as an id they made an output line no other JSON parser reads.
    raise ValueError(constant)


def _scan_line(line: str) -> tuple[dict[str, Any], bool]:
    try:
        record = json.loads(line, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return {"id": None, "error": "not valid JSON"}, False
    if not isinstance(record, dict):
        return {"id": None, "error": "not a JSON object"}, False
    record_id = record.get("id")
    # 1e999 is a JSON number but a Python float('inf'): it has no JSON form to echo.
    non_finite = isinstance(record_id, float) and not math.isfinite(record_id)
    if isinstance(record_id, (dict, list)) or non_finite:
        return {"id": None, "error": "'id' must be a string, number or null"}, False
    if "text" not in record:
        return {"id": record_id, "error": "missing 'text'"}, False
    text = record["text"]
    if not isinstance(text, str):
        return {"id": record_id, "error": "'text' must be a string"}, False
    findings = [{"type": f.type.value, "start": f.start, "end": f.end} for f in find(text)]
    return {"id": record_id, "findings": findings}, True


def main(
    argv: Sequence[str] | None = None,
    stdin: IO[str] = sys.stdin,
    stdout: IO[str] = sys.stdout,
) -> int:
    parser = argparse.ArgumentParser(
        prog="hisho dlp-scan",
        description="Read JSON lines {id, text} on stdin; write {id, findings} per line.",
    )
    parser.parse_args(list(argv) if argv is not None else [])
    all_ok = True
    for number, (line, problem) in enumerate(_lines(stdin), start=1):
        if problem is not None or line is None:
            result: dict[str, Any] = {"id": None, "error": problem or "unreadable line"}
            ok = False
        elif not line.strip():
            continue
        else:
            result, ok = _scan_line(line)
        if not ok:
            # The line number lets the caller find the bad record when its id is unknown.
            result["error"] = f"line {number}: {result['error']}"
        all_ok = all_ok and ok
        # ensure_ascii keeps the output valid even when an id holds a lone surrogate.
        stdout.write(json.dumps(result, allow_nan=False) + "\n")
    stdout.flush()
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
