"""Every write of hisho.notify (house rule 1): audited, ids and flags only."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from hisho.accounts.models import User
from hisho.audit.actions import record_event
from hisho.notify.models import EmailNotice, NotificationPrefs

# At most one e-mail per errand per person in this long.
THROTTLE = dt.timedelta(minutes=5)


@transaction.atomic
def do_set_notification_prefs(*, actor: User, email: bool, push: bool) -> NotificationPrefs:
    prefs, _ = NotificationPrefs.objects.update_or_create(
        user=actor, defaults={"email": bool(email), "push": bool(push)}
    )
    record_event(
        "notify.preferences_set",
        actor=actor,
        target=prefs,
        extra={"email": bool(email), "push": bool(push)},
    )
    return prefs


@transaction.atomic
def do_claim_email_notice(*, user: User, errand_id: uuid.UUID, kind: str) -> bool:
    """Claim the right to e-mail `user` about the errand now: False if they were e-mailed
    about it within THROTTLE. Call it inside the transaction that sends, so a failed
    delivery leaves no claim behind."""
    now = timezone.now()
    notice = EmailNotice.objects.select_for_update().filter(user=user, errand_id=errand_id).first()
    if notice is not None and notice.sent_at > now - THROTTLE:
        return False
    if notice is None:
        notice = EmailNotice.objects.create(user=user, errand_id=errand_id, sent_at=now)
    else:
        notice.sent_at = now
        notice.save(update_fields=["sent_at"])
    record_event(
        "notify.emailed",
        actor=None,
        target=notice,
        extra={"user_id": user.pk, "errand_id": errand_id, "kind": kind},
    )
    return True
