"""Writing audit events. Called by every action, inside the action's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from hisho.audit.models import AuditEvent

# What may stand in `extra`: ids, enum values, counts and flags. Free text could carry
# personal data, so it is refused here rather than trusted to every caller.
_ALLOWED_EXTRA = (int, bool, uuid.UUID, type(None))
_MAX_EXTRA_STR = 64


def _check_extra(extra: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in extra.items():
        if isinstance(value, _ALLOWED_EXTRA):
            clean[key] = str(value) if isinstance(value, uuid.UUID) else value
        elif isinstance(value, str) and len(value) <= _MAX_EXTRA_STR and value.isascii():
            # Short ASCII identifiers such as statuses and roles.
            clean[key] = value
        else:
            raise ValueError(f"audit extra {key!r} must be an id, enum value or flag")
    return clean


def record_event(
    event: str,
    *,
    actor: Any | None,
    target: models.Model | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEvent.objects.create(
        event=event,
        actor_id=actor_id,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        extra=_check_extra(extra or {}),
    )
