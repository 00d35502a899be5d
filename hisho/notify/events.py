"""What the desk's actions call inside their transaction: e-mail the people who should
hear about a change and have no socket open for the errand (hisho.notify.presence).

    errand_event(errand_id=…, kind=REPLY, people=[…])

The check runs in the process that made the change — the one whose sockets it can see —
and the e-mail goes through a django-tasks job with ids only (hisho.notify.tasks), which
checks the person's preference and the five-minute throttle when it runs. The job is
queued in the change's own transaction (the database task backend writes a row): it
commits with the change, or not at all, and the request pays no second commit for it.
Nor is a job queued for someone e-mailed about the errand in the last five minutes: it
would send nothing (e_mailed_lately).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.utils import timezone

from hisho.notify import presence
from hisho.notify.actions import THROTTLE
from hisho.notify.models import EmailNotice

REPLY = "reply"
ASSIGNMENT = "assignment"
STATUS = "status"
KINDS = (REPLY, ASSIGNMENT, STATUS)


def errand_event(*, errand_id: uuid.UUID, kind: str, people: Iterable[int | None]) -> None:
    from hisho.notify.tasks import send_errand_notice

    if kind not in KINDS:
        raise ValueError(kind)
    # Not those who see it live on the page.
    away = [
        p
        for p in sorted({p for p in people if p is not None})
        if not presence.is_open(p, errand_id)
    ]
    if not away:
        return
    for user_id in sorted(set(away) - e_mailed_lately(errand_id, away)):
        # A failure here fails the change itself: in its transaction nothing can be
        # half-written, and a database that refuses this row refuses the change too.
        send_errand_notice.enqueue(user_id, str(errand_id), kind)


def e_mailed_lately(errand_id: uuid.UUID, people: list[int]) -> set[int]:
    """Who of `people` had an e-mail about this errand within THROTTLE: the rule is one
    e-mail per errand per five minutes, so their job would send nothing. Leaving it out
    makes a lively chat queue one job per five minutes instead of one per message (each
    a worker's claim, three reads and a write). The job checks again when it runs: this
    is the shortcut, not the rule."""
    return set(
        EmailNotice.objects.filter(
            errand_id=errand_id, user_id__in=people, sent_at__gt=timezone.now() - THROTTLE
        ).values_list("user_id", flat=True)
    )
