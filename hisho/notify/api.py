"""`GET`/`PUT /api/v1/me/notifications` (API.md, "Notifications and the app"): how the
caller wants to hear about their errands. Thin: principal → access/action."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from hisho.accounts.principal import principal_of
from hisho.notify.access import access_notification_prefs
from hisho.notify.actions import do_set_notification_prefs
from hisho.notify.models import NotificationPrefs
from hisho.schemas import StrictIn, with_errors

router = Router(tags=["me"])


class NotificationsOut(Schema):
    email: bool
    push: bool


class NotificationsIn(StrictIn):
    email: bool = Field(strict=True)
    push: bool = Field(strict=True)


def _out(prefs: NotificationPrefs) -> NotificationsOut:
    return NotificationsOut(email=prefs.email, push=prefs.push)


@router.get(
    "/me/notifications",
    response=with_errors({200: NotificationsOut}),
    summary="How you want to hear about your errands",
)
def get_notifications(request: HttpRequest) -> NotificationsOut:
    return _out(access_notification_prefs(principal_of(request)))


@router.put(
    "/me/notifications",
    response=with_errors({200: NotificationsOut}),
    summary="Turn e-mail and push notifications on or off",
    description=(
        "`email`: an e-mail (a link, never content) when there is a reply, an assignment "
        "or a status change on one of your errands and you do not have it open; at most "
        "one per errand every five minutes. `push`: the same to the devices you subscribed."
    ),
)
def put_notifications(request: HttpRequest, payload: NotificationsIn) -> NotificationsOut:
    user = principal_of(request).user
    return _out(do_set_notification_prefs(actor=user, email=payload.email, push=payload.push))
