"""Canonical JSON: the exact bytes a signature or a hash covers.

RFC 8785 (JSON Canonicalization Scheme) restricted to what Hisho signs: objects with
string keys (sorted by their UTF-16 code units), arrays, strings, booleans, null and
integers within ±(2**53 − 1). No floats: their text form is where implementations
disagree, and nothing Hisho signs needs them (times are ISO 8601 strings). No
whitespace; strings as UTF-8 with only the escapes JSON requires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonical(ValueError):
    """A value canonical JSON cannot represent (a float, a huge integer, a non-string key)."""


def canonical_json(value: Any) -> bytes:
    parts: list[str] = []
    _encode(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonical("strings must be valid Unicode (no lone surrogates)") from None


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonical("integers must lie within ±(2**53 - 1)")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise NotCanonical("floats are not part of Hisho's canonical JSON")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise NotCanonical("object keys must be strings")
        out.append("{")
        for index, key in enumerate(sorted(value, key=_utf16_order)):
            if index:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise NotCanonical(f"{type(value).__name__} is not a JSON value")
