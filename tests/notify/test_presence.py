"""Open sockets across processes (docs/notifications.md, "Open sockets"): in the scaled
shape presence lives in the channel layer's Redis, so a socket held by another app
process suppresses the e-mail this one would send; a process that dies stops counting
within HISHO_PRESENCE_SECONDS; Redis out of reach means the e-mail goes.

"Process A" is a real second Python process (Django set up, hisho.notify.presence's
`arrived` as the consumer calls it, its heartbeat running); the test process is B, where
kenji's reply commits. Real Redis on 127.0.0.1:6379, database 9, a prefix per test."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.actions import do_post_message
from hisho.notify import presence
from hisho.notify.models import EmailNotice
from tests.outreach.conftest import Mailbox

PROCESS_A = """
import asyncio, sys
import django
django.setup()
from hisho.notify import presence

async def main():
    here = await presence.arrived(int(sys.argv[1]), sys.argv[2])
    print("open", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    await here.close()
    print("closed", flush=True)

asyncio.run(main())
"""


@pytest.fixture
def inbox(demo: Demo, smtp: Mailbox, run_worker: Any) -> Mailbox:
    run_worker()
    smtp.clear()
    EmailNotice.objects.all().delete()
    return smtp


@pytest.fixture
def process_a(redis_presence: str, settings: Any) -> Iterator[Any]:
    """start(user_id, errand_id) → a second process holding a socket's presence."""
    started: list[subprocess.Popen[str]] = []

    def start(user_id: int, errand_id: Any) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hisho.settings",
            "REDIS_URL": settings.REDIS_URL,
            "HISHO_PRESENCE_PREFIX": settings.HISHO_PRESENCE_PREFIX,
            "HISHO_PRESENCE_SECONDS": str(settings.HISHO_PRESENCE_SECONDS),
        }
        child = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", PROCESS_A, str(user_id), str(errand_id)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        started.append(child)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "open"
        return child

    yield start
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)


def _kenji_replies(demo: Demo, capture: Any, body: str) -> None:
    with capture(execute=True):
        do_post_message(actor=demo.people["kenji"], errand=demo.alice_errand, body=body)


@pytest.mark.django_db
def test_a_socket_on_another_process_suppresses_the_email_until_that_process_dies(
    demo: Demo,
    inbox: Mailbox,
    run_worker: Any,
    process_a: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice, errand = demo.people["alice"], demo.alice_errand
    child = process_a(alice.pk, errand.pk)
    assert presence.is_open(alice.pk, errand.pk)
    assert not presence.is_open(demo.people["bob"].pk, errand.pk)

    _kenji_replies(demo, django_capture_on_commit_callbacks, "first")
    run_worker()
    assert inbox.to(alice.email) == []

    # Past two lifetimes: process A's heartbeat keeps the socket counting.
    time.sleep(2 * settings.HISHO_PRESENCE_SECONDS + 0.5)
    assert presence.is_open(alice.pk, errand.pk)
    _kenji_replies(demo, django_capture_on_commit_callbacks, "second")
    run_worker()
    assert inbox.to(alice.email) == []

    # Process A crashes (no close): within a lifetime the socket no longer counts.
    child.kill()
    child.wait(timeout=10)
    time.sleep(settings.HISHO_PRESENCE_SECONDS + 0.5)
    assert not presence.is_open(alice.pk, errand.pk)
    _kenji_replies(demo, django_capture_on_commit_callbacks, "third")
    run_worker()
    assert len(inbox.to(alice.email)) == 1


@pytest.mark.django_db
def test_a_socket_closed_on_another_process_stops_counting_at_once(
    demo: Demo, process_a: Any
) -> None:
    alice, errand = demo.people["alice"], demo.alice_errand
    first = process_a(alice.pk, errand.pk)
    second = process_a(alice.pk, errand.pk)  # the errand open in two tabs
    assert first.stdin is not None and second.stdin is not None
    first.stdin.write("close\n")
    first.stdin.flush()
    assert first.stdout is not None and first.stdout.readline().strip() == "closed"
    assert presence.is_open(alice.pk, errand.pk)  # the other tab is still open
    second.stdin.write("close\n")
    second.stdin.flush()
    assert second.stdout is not None and second.stdout.readline().strip() == "closed"
    assert not presence.is_open(alice.pk, errand.pk)


def test_keys_hold_ids_only_and_expire(redis_presence: str, settings: Any) -> None:
    import redis

    async def scenario() -> None:
        here = await presence.arrived(7, "6d1f5a0e-0000-4000-8000-000000000001")
        client = redis.Redis.from_url(settings.REDIS_URL)
        [key] = client.keys(f"{redis_presence}:*")
        assert key.decode() == f"{redis_presence}:7:6d1f5a0e-0000-4000-8000-000000000001"
        assert 0 < client.ttl(key) <= settings.HISHO_PRESENCE_SECONDS
        await here.close()
        await here.close()  # idempotent
        assert client.zcard(key) == 0

    asyncio.run(scenario())


def test_redis_out_of_reach_means_the_email_goes(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    async def scenario() -> None:
        here = await presence.arrived(7, "6d1f5a0e-0000-4000-8000-000000000002")
        assert not presence.is_open(7, "6d1f5a0e-0000-4000-8000-000000000002")
        await here.close()

    asyncio.run(scenario())
