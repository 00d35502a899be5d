"""What the desk's actions call inside their transaction: e-mail the people who should
hear about a change and have no socket open for the errand (hisho.notify.presence).

    errand_event(errand_id=…, kind=REPLY, people=[…])

The check runs in the process that made the change — the one whose sockets it can see —
and the e-mail goes through a django-tasks job with ids only (hisho.notify.tasks), which
checks the person's preference and the five-minute throttle when it runs. The job is
queued in the change's own transaction (the database task backend writes a row): it
commits with the change, or not at all, and the request pays no second commit for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from hisho.notify import presence

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
        # A failure here fails the change itself: in its transaction nothing can be
        # half-written, and a database that refuses this row refuses the change too.
        send_errand_notice.enqueue(user_id, str(errand_id), kind)
