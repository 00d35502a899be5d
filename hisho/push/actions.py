"""Every write of Web Push (house rule 1): subscribing, unsubscribing, forgetting a
subscription its push service no longer knows, and erasure. Audit events carry ids only
— never an endpoint (it names one browser)."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import uuid
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction

from hisho.accounts.models import User
from hisho.accounts.principal import Principal
from hisho.audit.actions import record_event
from hisho.errors import Conflict, InvalidInput, NotFound
from hisho.inbound import carries_card
from hisho.push.models import ENDPOINT_MAX, PushSubscription

# More than any one person's browsers; the oldest go first.
MAX_PER_PERSON = 20


def _b64url(field: str, value: str, size: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput(field, "Not base64url.") from None
    if len(raw) != size or not value.isascii():
        raise InvalidInput(field, f"Not a key of {size} bytes.")
    return raw


def allowed_push_service(endpoint: str) -> bool:
    """The endpoint's origin is one of HISHO_PUSH_SERVICES ("https://*.example.com"):
    Hisho posts to it, so it may not point anywhere else (no requests into the
    operator's own network on a client's say-so)."""
    parts = urlsplit(endpoint)
    try:
        port = parts.port
    except ValueError:
        return False
    if parts.username or parts.password or not parts.hostname:
        return False
    host = parts.hostname.lower()
    for allowed in settings.HISHO_PUSH_SERVICES:
        want = urlsplit(allowed)
        if want.scheme != parts.scheme or want.hostname is None:
            continue
        if want.port is not None and want.port != port:
            continue
        if want.port is None and port is not None:
            continue
        if fnmatch.fnmatchcase(host, want.hostname.lower()):
            return True
    return False


def clean_endpoint(endpoint: str) -> str:
    """A push service's URL for one browser. Stored and posted to as it is, so a card
    number in it (even %-escaped) is refused, not masked."""
    endpoint = endpoint.strip()
    if not endpoint or len(endpoint) > ENDPOINT_MAX or not endpoint.isascii():
        raise InvalidInput("endpoint", "Give the subscription's endpoint URL.")
    if carries_card(endpoint):
        raise InvalidInput("endpoint", "An endpoint may not carry a card number.")
    if any(c.isspace() or ord(c) < 0x20 for c in endpoint) or not allowed_push_service(endpoint):
        raise InvalidInput("endpoint", "This is not the address of a known push service.")
    return endpoint


def clean_keys(p256dh: str, auth: str) -> tuple[str, str]:
    point = _b64url("keys.p256dh", p256dh, 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidInput("keys.p256dh", "Not a P-256 public key.") from None
    _b64url("keys.auth", auth, 16)
    return p256dh, auth


def _active(actor: Principal) -> User:
    if not isinstance(actor, Principal) or not actor.active:
        raise NotFound("No such person.")
    return actor.user


NO_SIGN_IN_RECORD = (
    "This sign-in is not one notifications can follow: sign out and in again on this "
    "device, then turn notifications on."
)


@transaction.atomic
def do_subscribe_push(
    *, actor: Principal, endpoint: str, p256dh: str, auth: str, session_key: str
) -> PushSubscription:
    """Subscribe the caller's browser (again: its keys are replaced, same id), for as
    long as the sign-in `session_key` lasts. An endpoint belongs to one person: a browser
    someone else subscribed before is theirs no longer."""
    from allauth.usersessions.models import UserSession

    user = _active(actor)
    endpoint = clean_endpoint(endpoint)
    p256dh, auth = clean_keys(p256dh, auth)
    device = UserSession.objects.filter(user=user, session_key=session_key).first()
    if device is None:
        raise Conflict(NO_SIGN_IN_RECORD)
    for other in PushSubscription.objects.filter(endpoint=endpoint).exclude(user=user):
        record_event("push.unsubscribed", actor=user, target=other.user, extra={"moved": True})
        other.delete()
    subscription, created = PushSubscription.objects.update_or_create(
        user=user, endpoint=endpoint, defaults={"p256dh": p256dh, "auth": auth, "device": device}
    )
    record_event("push.subscribed", actor=user, target=user, extra={"renewed": not created})
    stale = PushSubscription.objects.filter(user=user).order_by("-created_at")[MAX_PER_PERSON:]
    PushSubscription.objects.filter(pk__in=[s.pk for s in stale]).delete()
    return subscription


@transaction.atomic
def do_unsubscribe_push(*, actor: Principal, subscription: PushSubscription) -> None:
    user = _active(actor)
    if subscription.user_id != user.pk:  # access_push_subscription checked; belt and braces
        raise NotFound("No such subscription.")
    subscription.delete()
    record_event("push.unsubscribed", actor=user, target=user, extra={"moved": False})


@transaction.atomic
def do_forget_push_subscription(*, subscription_id: uuid.UUID, sign_in_ended: bool = False) -> bool:
    """The push service answered 404 or 410 (the browser unsubscribed or the subscription
    expired), or the sign-in it followed has ended (`sign_in_ended`). True if there was
    one to delete."""
    subscription = PushSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        return False
    person = subscription.user
    subscription.delete()
    extra = {"sign_in_ended": True} if sign_in_ended else None
    record_event("push.subscription_gone", actor=None, target=person, extra=extra)
    return True


@transaction.atomic
def do_erase_push_subscriptions(*, actor: User, person: User) -> int:
    """Erasure (hisho.privacy.actions.erasure): every subscription of the person."""
    if actor.pk != person.pk:
        raise NotFound("No such person.")
    deleted, _ = PushSubscription.objects.filter(user=person).delete()
    return int(deleted)
