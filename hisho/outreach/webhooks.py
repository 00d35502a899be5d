"""Bounces and complaints from the newsletter and survey processors, signed.

`POST /webhooks/outreach/{processor}` with a JSON body
    {"type": "bounce" | "complaint", "recipient": "<address>", "bounce_type": "hard" | "soft"}
and the header `Hisho-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
under HISHO_OUTREACH_WEBHOOK_SECRET (each part once, nothing else). A bad, malformed or
stale (> 5 minutes) signature, an undeclared processor or a malformed body: 400, nothing
changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from hisho.outreach.models import PROCESSOR_OF, SuppressionReason

TOLERANCE_SECONDS = 300
BODY_MAX = 10_000


class BadWebhook(Exception):
    """Fixed reasons only (never the body: it names an address)."""


@dataclass(frozen=True)
class Report:
    processor: str
    address: str
    reason: str | None  # None: nothing to do (a soft bounce)


def signature_for(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


# ASCII digits only: int() also takes spaces, signs, "_" and other scripts' digits, and a
# time of hundreds of digits overflows the float it is compared with. 12 digits reach
# far past any real clock.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_DIGEST = re.compile(r"[0-9a-f]{64}")  # what signature_for gives (compare_digest needs ASCII)


def _signature_parts(header: str) -> tuple[int, str]:
    """The time and digest of `t=<unix seconds>,v1=<hex>`: each exactly once, in either
    order, and nothing else — an empty part, a part without "=", another key or a key
    twice is a malformed signature, not one to guess at."""
    parts: dict[str, str] = {}
    for part in header.split(","):
        key, equals, value = part.partition("=")
        if not equals or key not in ("t", "v1") or key in parts:
            raise BadWebhook("malformed signature")
        parts[key] = value
    timestamp, digest = parts.get("t", ""), parts.get("v1", "")
    if not _TIMESTAMP.fullmatch(timestamp) or not _DIGEST.fullmatch(digest):
        raise BadWebhook("malformed signature")
    return int(timestamp), digest


def parse(processor: str, header: str, body: bytes, *, now: float | None = None) -> Report:
    secret = settings.HISHO_OUTREACH_WEBHOOK_SECRET
    if not secret:
        raise BadWebhook("webhook not configured")
    if processor not in PROCESSOR_OF.values():
        raise BadWebhook("unknown processor")
    if len(body) > BODY_MAX:
        raise BadWebhook("too large")
    timestamp, digest = _signature_parts(header)
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        raise BadWebhook("stale signature")
    if not hmac.compare_digest(signature_for(secret, timestamp, body), digest):
        raise BadWebhook("bad signature")
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadWebhook("malformed body") from None
    if not isinstance(event, dict) or event.get("type") not in ("bounce", "complaint"):
        raise BadWebhook("malformed body")
    address = event.get("recipient")
    if not isinstance(address, str):
        raise BadWebhook("malformed body")
    try:
        validate_email(address)
    except ValidationError:
        raise BadWebhook("malformed body") from None
    if event["type"] == "complaint":
        return Report(processor, address, SuppressionReason.COMPLAINT)
    if event.get("bounce_type") == "hard":
        return Report(processor, address, SuppressionReason.BOUNCE)
    return Report(processor, address, None)
