"""What the desk's actions call once a change commits: e-mail the people who should
hear about it and have no socket open for the errand (hisho.notify.presence).

    transaction.on_commit(partial(errand_event, errand_id=…, kind=REPLY, people=[…]))

The check runs in the process that made the change — the one whose sockets it can see —
and the e-mail goes through a django-tasks job with ids only (hisho.notify.tasks), which
checks the person's preference and the five-minute throttle when it runs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from hisho.notify import presence

log = logging.getLogger(__name__)

REPLY = "reply"
ASSIGNMENT = "assignment"
STATUS = "status"
KINDS = (REPLY, ASSIGNMENT, STATUS)


def errand_event(*, errand_id: uuid.UUID, kind: str, people: Iterable[int | None]) -> None:
    from hisho.notify.tasks import send_errand_notice

    if kind not in KINDS:
        raise ValueError(kind)
    for user_id in sorted({p for p in people if p is not None}):
        if presence.is_open(user_id, errand_id):
            continue  # they see it live on the page
        try:
            send_errand_notice.enqueue(user_id, str(errand_id), kind)
        except Exception:
            # Ids only. The write has committed; the page shows it on the next visit.
            log.exception("notification not queued (%s on errand %s)", kind, errand_id)
