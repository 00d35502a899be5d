"""Web Push endpoints of /api/v1/ (API.md, "Notifications and the app"). Thin: parse →
principal → access → action."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from hisho.accounts.principal import principal_of
from hisho.idempotency.api import idempotent
from hisho.push.access import access_push_subscription
from hisho.push.actions import do_subscribe_push, do_unsubscribe_push
from hisho.push.models import ENDPOINT_MAX
from hisho.push.vapid import public_key
from hisho.schemas import StrictIn, with_errors

router = Router(tags=["push"])


class KeyOut(Schema):
    key: str


class KeysIn(StrictIn):
    # base64url (RFC 4648 §5) of a P-256 point (65 bytes) and of a 16-byte secret.
    p256dh: str = Field(pattern=r"^[A-Za-z0-9_-]{86,87}={0,2}$", max_length=100)
    auth: str = Field(pattern=r"^[A-Za-z0-9_-]{22}={0,2}$", max_length=32)


class SubscriptionIn(StrictIn):
    endpoint: str = Field(max_length=ENDPOINT_MAX)
    keys: KeysIn


class SubscriptionOut(Schema):
    id: uuid.UUID


@router.get(
    "/push/vapid-public-key",
    auth=None,
    response=with_errors({200: KeyOut}),
    summary="The application server key browsers subscribe with (public)",
)
def vapid_public_key(request: HttpRequest) -> KeyOut:
    return KeyOut(key=public_key())


def _replay_subscription(request: HttpRequest, resource_id: str, **_: Any) -> SubscriptionOut:
    return SubscriptionOut(id=access_push_subscription(principal_of(request), resource_id).pk)


@router.post(
    "/me/push-subscriptions",
    response=with_errors({201: SubscriptionOut}),
    summary="Subscribe this browser to pushes that carry no content",
)
@idempotent(replay=_replay_subscription)
def subscribe(request: HttpRequest, payload: SubscriptionIn) -> Status[SubscriptionOut]:
    subscription = do_subscribe_push(
        actor=principal_of(request),
        endpoint=payload.endpoint,
        p256dh=payload.keys.p256dh,
        auth=payload.keys.auth,
        # The sign-in this request came through (hisho/auth.py): pushes last as long.
        session_key=request.hisho_auth_session.session_key or "",  # type: ignore[attr-defined]
    )
    return Status(201, SubscriptionOut(id=subscription.pk))


@router.delete(
    "/me/push-subscriptions/{subscription_id}",
    response=with_errors({204: None}),
    summary="Unsubscribe a browser",
)
def unsubscribe(request: HttpRequest, subscription_id: str) -> Status[None]:
    principal = principal_of(request)
    do_unsubscribe_push(
        actor=principal, subscription=access_push_subscription(principal, subscription_id)
    )
    return Status(204, None)
