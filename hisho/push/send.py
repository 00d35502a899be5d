"""Sending: a live event (hisho.desk.live) becomes one push per subscription of each
participant, in the background (hisho.push.tasks), carrying only the event's kind and
the errand's id — encrypted to the browser, so the push service sees ciphertext and the
endpoint it issued itself. No text, no names: the service worker opens Hisho, which
shows the rest to whoever is signed in.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings

from hisho.accounts.models import User
from hisho.accounts.security import session_expired
from hisho.accounts.sessions import browser_session, session_user
from hisho.desk.access import takes_part_in
from hisho.desk.models import Errand
from hisho.privacy.recipients import PushRefused, recipient
from hisho.push.actions import do_forget_push_subscription
from hisho.push.models import PushSubscription
from hisho.push.vapid import vapid_key

log = logging.getLogger(__name__)

RECIPIENT = "push_service"
PURPOSE = "service_notices"
DATA = ["push_subscriptions"]
# Event kinds a push may name (hisho.desk.live's).
KINDS = frozenset({"message", "status", "assignment", "payment"})
GONE = {404, 410}


def payload_for(kind: str, errand_id: uuid.UUID | str) -> bytes:
    """The whole payload: the event's kind and the errand's id. Nothing else, ever."""
    if kind not in KINDS:
        raise ValueError(f"not a push event kind: {kind!r}")
    errand = str(uuid.UUID(str(errand_id)))
    return json.dumps({"type": kind, "errand": errand}, separators=(",", ":")).encode()


def vapid_subject() -> str:
    """Who to contact about these pushes (RFC 8292 `sub`): the public https URL, else the
    privacy contact's address."""
    url = str(settings.HISHO_PUBLIC_URL)
    if url.startswith("https://"):
        return url
    return f"mailto:{settings.HISHO_PRIVACY_CONTACT_EMAIL}"


def announce(user_ids: Iterable[int], kind: str, errand_id: uuid.UUID | str) -> None:
    """In the change's transaction (hisho.desk.live): queue the pushes if anyone has a
    subscription; the job commits with the change, or not at all."""
    from hisho.push.tasks import push_event

    ids = sorted({int(u) for u in user_ids})
    if kind not in KINDS or not PushSubscription.objects.filter(user_id__in=ids).exists():
        return
    push_event.enqueue(ids, kind, str(errand_id))


def sign_in_lasts(subscription: PushSubscription) -> bool:
    """Whether the sign-in that turned pushes on for this device still signs its person
    in, as an API request through it would be checked (hisho/auth.py): the session exists
    and has not expired, its person is the subscriber and active, and no password change
    since has ended it. A lost phone signed out everywhere hears nothing more."""
    device = subscription.device
    if device is None:
        return False
    session = browser_session(device.session_key)
    if session is None or session_expired(session):
        return False
    user = session_user(session)
    return user is not None and user.pk == subscription.user_id and user.is_active


def deliver(user_ids: Iterable[int], kind: str, errand_id: uuid.UUID | str) -> dict[str, int]:
    """Push to every subscription of these people; a subscription its push service
    answers 404 or 410 for is deleted. Returns counts."""
    from hisho.notify.access import push_wanted

    payload = payload_for(kind, errand_id)
    key = vapid_key()
    counts = {"sent": 0, "gone": 0, "failed": 0}
    # Only to people who still take part in the errand when this runs (reassigned, demoted
    # or deactivated since: not told), and have not turned push off
    # (GET/PUT /api/v1/me/notifications).
    errand = Errand.objects.filter(pk=uuid.UUID(str(errand_id))).first()
    people = User.objects.filter(pk__in=list(user_ids))
    taking_part = [p.pk for p in people if errand is not None and takes_part_in(p, errand)]
    wanted = push_wanted(taking_part)
    subscriptions = PushSubscription.objects.filter(user_id__in=wanted).select_related(
        "user", "device"
    )
    for subscription in subscriptions.order_by("created_at"):
        if not sign_in_lasts(subscription):
            do_forget_push_subscription(subscription_id=subscription.pk, sign_in_ended=True)
            counts["gone"] += 1
            continue
        try:
            recipient(RECIPIENT).send_push(
                subject=subscription.user,
                subscription={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                payload=payload,
                purpose=PURPOSE,
                data=DATA,
                reference=f"push:{subscription.pk}",
                vapid_key=key,
                vapid_sub=vapid_subject(),
                ttl=settings.HISHO_PUSH_TTL,
            )
        except PushRefused as refused:
            if refused.status in GONE:
                do_forget_push_subscription(subscription_id=subscription.pk)
                counts["gone"] += 1
            else:
                # Ids only in the log.
                log.warning("push to subscription %s refused (%s)", subscription.pk, refused.status)
                counts["failed"] += 1
        else:
            counts["sent"] += 1
    return counts
