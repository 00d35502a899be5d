"""Cache keys that name nobody.

allauth's throttles name what they count in the cache key: the client's IP address, or an
unkeyed SHA-256 of the e-mail address someone typed ("allauth:rl:…:login_failed:…:<hash>").
In production the cache is a database table (settings.py: HISHO_CACHE_TABLE), so for the
throttle's window that table held, readable by anyone with database access, addresses and a
hash that a list of known e-mail addresses reverses in seconds. Django lets one function make
every cache key (the `KEY_FUNCTION` setting); this one keeps the prefix and version Django
puts in front and replaces the rest with an HMAC under a key derived from SECRET_KEY, so the
table holds the same counters under names only this service can compute. A rotated
SECRET_KEY starts every counter afresh (at most one throttle window: five minutes).
"""

from __future__ import annotations

from typing import Any

from django.utils.crypto import salted_hmac


def keyed_cache_key(key: Any, key_prefix: str, version: Any) -> str:
    digest = salted_hmac("hisho.cachekeys", str(key), algorithm="sha256").hexdigest()
    return f"{key_prefix}:{version}:{digest}"
