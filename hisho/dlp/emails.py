"""E-mail addresses, anchored on "@" so that scanning stays linear.

A regex that starts with the local part re-scans every run of letters from every position
when there is no "@" (quadratic on long words). Instead we jump from "@" to "@", walk left
over at most 64 local-part characters and match the domain forward with a bounded pattern.
Only ASCII addresses are found (after full-width folding); Japanese punctuation or text
right before or after the address ends it naturally because it is not an address character.
"""

from __future__ import annotations

import re

_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_LOCAL_MAX = 64
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# Labels cannot contain ".", so each label can end in only one place: no backtracking blow-up.
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,10}[A-Za-z]{2,24}")


def find_emails(norm: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    last_end = 0
    at = norm.find("@")
    while at != -1:
        start = at
        floor = max(last_end, at - _LOCAL_MAX)
        while start > floor and norm[start - 1] in _LOCAL:
            start -= 1
        while start < at and norm[start] not in _ALNUM:
            start += 1  # a local part starts with a letter or digit
        if start < at:
            match = _DOMAIN.match(norm, at + 1)
            if match is not None:
                found.append((start, match.end()))
                last_end = match.end()
                at = norm.find("@", last_end)
                continue
        at = norm.find("@", at + 1)
    return found
