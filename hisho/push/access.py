"""Who may see a push subscription: the person it belongs to (anyone else: the same 404
as a missing one)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from hisho.accounts.principal import Principal
from hisho.errors import NotFound
from hisho.push.models import PushSubscription

NOT_FOUND = "No such subscription."


def access_push_subscription(principal: Principal, subscription_id: Any) -> PushSubscription:
    if not isinstance(principal, Principal) or not principal.active:
        raise NotFound(NOT_FOUND)
    try:
        pk = uuid.UUID(str(subscription_id))
    except ValueError:
        raise NotFound(NOT_FOUND) from None
    found = PushSubscription.objects.filter(pk=pk, user_id=principal.pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def access_push_subscriptions(principal: Principal) -> QuerySet[PushSubscription]:
    """The caller's own subscriptions (their export)."""
    if not isinstance(principal, Principal) or not principal.active:
        raise NotFound(NOT_FOUND)
    return PushSubscription.objects.filter(user_id=principal.pk).order_by("created_at")
