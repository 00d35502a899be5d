"""The caller's push subscriptions in their export (hisho.privacy.export)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hisho.accounts.principal import Principal
from hisho.push.access import access_push_subscriptions


def push_subscriptions_for_export(principal: Principal) -> list[dict[str, Any]]:
    return [
        {
            "id": str(s.pk),
            "endpoint": s.endpoint,
            "keys": {"p256dh": s.p256dh, "auth": s.auth},
            "created_at": s.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        for s in access_push_subscriptions(principal)
    ]
