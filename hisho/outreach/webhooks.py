"""Bounces and complaints from the newsletter and survey processors, signed.

`POST /webhooks/outreach/{processor}` with a JSON body
    {"type": "bounce" | "complaint", "recipient": "<address>", "bounce_type": "hard" | "soft"}
and the header `Hisho-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
under HISHO_OUTREACH_WEBHOOK_SECRET. A bad or stale (> 5 minutes) signature, an
undeclared processor or a malformed body: 400, nothing changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
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


def parse(processor: str, header: str, body: bytes, *, now: float | None = None) -> Report:
    secret = settings.HISHO_OUTREACH_WEBHOOK_SECRET
    if not secret:
        raise BadWebhook("webhook not configured")
    if processor not in PROCESSOR_OF.values():
        raise BadWebhook("unknown processor")
    if len(body) > BODY_MAX:
        raise BadWebhook("too large")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise BadWebhook("malformed signature") from None
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        raise BadWebhook("stale signature")
    if not hmac.compare_digest(signature_for(secret, timestamp, body), parts.get("v1", "")):
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
