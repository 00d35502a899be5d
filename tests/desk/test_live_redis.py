"""The channel layer on Redis, configured as the scaled shape runs it
(`hisho.settings.channel_layers`), against the local Redis server.

A socket's process waits for its next event with a blocking pop that Redis answers
empty after channels-redis's `brpop_timeout` (5 s). redis-py 8 made 5 s its default read
timeout too: the client gave up as Redis answered, the error escaped Channels' loop and
every quiet chat in the scaled shape dropped after 5 to 12 seconds (found by a probe
through nginx: 2 of 2 sockets dead after 8 s idle)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer

from hisho.settings import channel_layers

# A database no other test folder uses (tests/scaled: 3, tests/notify: 9).
REDIS = "redis://127.0.0.1:6379/11"


def test_a_quiet_channel_outlives_the_layers_blocking_pop() -> None:
    config: dict[str, Any] = dict(channel_layers(REDIS)["default"]["CONFIG"])  # type: ignore[arg-type]
    config["prefix"] = f"hisho.test.live.{uuid.uuid4().hex}"
    quiet = 2 * RedisChannelLayer.brpop_timeout + 1  # two pops answered empty

    async def scenario() -> None:
        layer = RedisChannelLayer(**config)
        try:
            channel = await layer.new_channel()
            waiting = asyncio.create_task(layer.receive(channel))
            await asyncio.sleep(quiet)
            assert not waiting.done(), f"the receive ended: {waiting.exception()!r}"
            await layer.send(channel, {"type": "live.event", "kind": "message"})
            event = await asyncio.wait_for(waiting, timeout=5)
            assert event["kind"] == "message"
        finally:
            await layer.flush()
            await layer.close_pools()

    async_to_sync(scenario)()
