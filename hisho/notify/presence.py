"""Who has an errand's page (its websocket) open right now, in this process.

The chat consumer (hisho.desk.consumers) calls `opened` once a socket is accepted and
`closed` when it ends; hisho.notify.events asks `is_open` when an event commits, in the
process that made the change, and e-mails only people with no socket open.

Embedded shape: one process serves every socket and every write, so this is exact. The
scaled shape runs several app processes: a socket open on another process is not seen
here, and its person may get an e-mail they did not need (still at most one per errand
per five minutes). That is the documented limit (docs/notifications.md): it errs towards
telling people, never towards silence.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

_lock = threading.Lock()
_open: Counter[tuple[int, str]] = Counter()


def _key(user_id: int, errand_id: uuid.UUID | str) -> tuple[int, str]:
    return int(user_id), str(errand_id)


def opened(user_id: int, errand_id: uuid.UUID | str) -> None:
    with _lock:
        _open[_key(user_id, errand_id)] += 1


def closed(user_id: int, errand_id: uuid.UUID | str) -> None:
    key = _key(user_id, errand_id)
    with _lock:
        _open[key] -= 1
        if _open[key] <= 0:
            del _open[key]


def is_open(user_id: int, errand_id: uuid.UUID | str) -> bool:
    with _lock:
        return _open[_key(user_id, errand_id)] > 0


def reset() -> None:
    """Tests only: forget every socket."""
    with _lock:
        _open.clear()
