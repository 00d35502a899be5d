"""Who has an errand's page (its websocket) open right now, in any app process.

The chat consumer (hisho.desk.consumers) calls `arrived` once a socket is accepted and
closes what it returns when the socket ends; hisho.notify.events asks `is_open` when an
event commits, in whichever process made the change, and e-mails only people with no
socket open (docs/notifications.md, "Open sockets").

- **Embedded** (no REDIS_URL): one process serves every socket and every write; a counter
  in its memory is exact.
- **Scaled** (REDIS_URL, the channel layer's Redis): every socket is a member of a sorted
  set per (person, errand) — `<HISHO_PRESENCE_PREFIX>:<user id>:<errand id>`, ids only —
  scored with the time it lapses. The process holding the socket pushes that time on
  every `HISHO_PRESENCE_SECONDS / 3` and removes the member when the socket closes; a
  process that dies without closing stops pushing, and its sockets stop counting at most
  `HISHO_PRESENCE_SECONDS` later (the key itself expires then too). A socket on process A
  therefore suppresses the e-mail a change on process B would send.

Redis that cannot be reached makes `is_open` answer False: the e-mail goes (at most one
per errand per five minutes). It errs towards telling people, never towards silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
import uuid
from collections import Counter
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_open: Counter[tuple[int, str]] = Counter()


def _key(user_id: int, errand_id: uuid.UUID | str) -> tuple[int, str]:
    return int(user_id), str(errand_id)


def lifetime() -> float:
    """Seconds a socket counts without a heartbeat from its process."""
    return float(settings.HISHO_PRESENCE_SECONDS)


def _redis_url() -> str:
    return str(getattr(settings, "REDIS_URL", "") or "")


@functools.cache
def _client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _redis_key(user_id: int, errand_id: uuid.UUID | str) -> str:
    user, errand = _key(user_id, errand_id)
    return f"{settings.HISHO_PRESENCE_PREFIX}:{user}:{errand}"


def _mark(url: str, key: str, member: str, *, only_if_there: bool) -> None:
    """The member counts for another lifetime from now (the key lives as long)."""
    life = lifetime()
    pipe = _client(url).pipeline(transaction=True)
    # XX on a heartbeat: a beat that lands after the close must not bring it back.
    pipe.zadd(key, {member: time.time() + life}, xx=only_if_there)
    pipe.zremrangebyscore(key, "-inf", time.time())
    pipe.expire(key, max(1, round(life)))
    pipe.execute()


def _unmark(url: str, key: str, member: str) -> None:
    _client(url).zrem(key, member)


class Presence:
    """One accepted socket, counted until `close()` (idempotent)."""

    def __init__(self, user_id: int, errand_id: uuid.UUID | str, url: str) -> None:
        self.user_id, self.errand_id = _key(user_id, errand_id)
        self._url = url
        self._member = f"{uuid.uuid4().hex}"
        self._beat: asyncio.Task[None] | None = None
        self._closed = False

    async def _open(self) -> None:
        if not self._url:
            with _lock:
                _open[(self.user_id, self.errand_id)] += 1
            return
        key = _redis_key(self.user_id, self.errand_id)
        try:
            await asyncio.to_thread(_mark, self._url, key, self._member, only_if_there=False)
        except Exception:
            log.warning("presence not recorded in Redis (errand %s)", self.errand_id)
            return
        self._beat = asyncio.create_task(self._heartbeat(key))

    async def _heartbeat(self, key: str) -> None:
        while True:
            await asyncio.sleep(max(0.5, lifetime() / 3))
            try:
                await asyncio.to_thread(_mark, self._url, key, self._member, only_if_there=True)
            except Exception:
                log.warning("presence heartbeat failed (errand %s)", self.errand_id)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._url:
            with _lock:
                _open[(self.user_id, self.errand_id)] -= 1
                if _open[(self.user_id, self.errand_id)] <= 0:
                    del _open[(self.user_id, self.errand_id)]
            return
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        try:
            await asyncio.to_thread(
                _unmark, self._url, _redis_key(self.user_id, self.errand_id), self._member
            )
        except Exception:
            # It lapses by itself within a lifetime.
            log.warning("presence not removed from Redis (errand %s)", self.errand_id)


async def arrived(user_id: int, errand_id: uuid.UUID | str) -> Presence:
    """A socket for this person and errand was accepted: count it until it is closed."""
    presence = Presence(user_id, errand_id, _redis_url())
    await presence._open()
    return presence


def is_open(user_id: int, errand_id: uuid.UUID | str) -> bool:
    """Has this person a socket open for this errand, on any app process?"""
    url = _redis_url()
    if not url:
        with _lock:
            return _open[_key(user_id, errand_id)] > 0
    try:
        live = _client(url).zcount(_redis_key(user_id, errand_id), f"({time.time()}", "+inf")
    except Exception:
        log.warning("presence unknown, Redis unreachable (errand %s)", errand_id)
        return False
    return int(live) > 0


def reset() -> None:
    """Tests only: forget every socket (this process's, and under the prefix in Redis)."""
    with _lock:
        _open.clear()
    url = _redis_url()
    if url:
        client = _client(url)
        for key in client.scan_iter(match=f"{settings.HISHO_PRESENCE_PREFIX}:*"):
            client.unlink(key)
