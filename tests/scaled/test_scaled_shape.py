"""The scaled shape, started for real: PostgreSQL, Redis, two app processes (uvicorn) for
HTTP, one for the websockets and two job workers on 127.0.0.1 (scripts/scaled.py). It
proves what one process cannot:

- a message posted through process A reaches a websocket on the socket process, and one
  posted over that socket reaches a websocket on process B (any process holds sockets);
- a socket open on the socket process holds back the e-mail a post through A would
  queue (who has the page open is shared, not the posting process's alone);
- a chat left quiet for longer than the channel layer's blocking pop stays open and
  still gets the next message;
- each queued job runs exactly once with two workers taking from the queue;
- killing an app process (SIGKILL, mid-traffic) loses no acknowledged message.

It makes its own database (`hisho_scaled_test`) and uses Redis database 3, whatever
DATABASE_URL the suite runs with, and stops and drops everything it started.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from scripts.scaled import ScaledShape
from tests.scaled.conftest import call, next_frame, open_chat, post_and_receive

pytestmark = pytest.mark.scaled


def test_a_message_posted_through_one_process_reaches_a_socket_on_the_other(
    shape: ScaledShape, people: dict[str, Any]
) -> None:
    errand = people["errand"]
    app_b = shape.http_url(1).replace("http://", "ws://", 1)
    assert shape.ws_url(0) not in (app_b, shape.http_url(0).replace("http://", "ws://", 1))
    with (
        open_chat(shape.ws_url(0), errand, people["kenji"]) as kenji_on_sockets,
        open_chat(app_b, errand, people["alice"]) as alice_on_b,
    ):
        posted = post_and_receive(
            shape.http_url(0), errand, people["alice"], kenji_on_sockets, "Posted through A"
        )
        # And the other way: a post over kenji's socket reaches alice's socket on B.
        kenji_on_sockets.send(
            json.dumps({"type": "message.post", "ref": "k1", "body": "From the socket"})
        )
        ack = next_frame(kenji_on_sockets)
        assert ack["type"] == "posted" and ack["ref"] == "k1"
        frames = [next_frame(alice_on_b), next_frame(alice_on_b)]
        assert [f["message"]["body"] for f in frames] == [posted["body"], "From the socket"]
        assert frames[1]["message"]["id"] == ack["message"]["id"]


def test_a_quiet_chat_stays_open_and_gets_the_next_message(
    shape: ScaledShape, people: dict[str, Any]
) -> None:
    """A socket's process waits for events with a blocking pop that Redis answers empty
    every 5 s; the Redis client's read timeout was 5 s too, and idle chats dropped after
    5 to 12 s (found through nginx by a probe). Three sockets, quiet for 16 s."""
    errand = people["errand"]
    sockets = [open_chat(shape.ws_url(0), errand, people["kenji"]) for _ in range(3)]
    try:
        time.sleep(16)
        for n, ws in enumerate(sockets):
            ws.send(json.dumps({"type": "ping", "ref": f"p{n}"}))
            assert next_frame(ws) == {"type": "pong", "ref": f"p{n}"}
        posted = post_and_receive(
            shape.http_url(0), errand, people["alice"], sockets[0], "After a pause"
        )
        for ws in sockets[1:]:
            frame = next_frame(ws)
            assert frame["type"] == "message", frame
            assert (frame["message"]["id"], frame["message"]["body"]) == (
                posted["id"],
                posted["body"],
            )
    finally:
        for ws in sockets:
            ws.close()


def test_a_socket_on_the_socket_process_holds_back_the_email_a_post_elsewhere_queues(
    shape: ScaledShape, people: dict[str, Any]
) -> None:
    """The post runs on app A, the socket lives on the socket process: the check "has
    she the page open?" must see across processes (Redis), or splitting the sockets off
    would e-mail everyone about every reply they are watching arrive."""
    made = shape.manage(
        "shell",
        "-c",
        "from hisho.accounts.models import User\n"
        "from hisho.desk.actions import do_assign_errand, do_create_errand\n"
        "people = {u.email.split('@')[0]: u for u in User.objects.all()}\n"
        "errand = do_create_errand(actor=people['alice'], title='Watching the chat')\n"
        "do_assign_errand(actor=people['admin'], errand=errand,"
        " assistant_id=people['kenji'].pk)\n"
        "print(errand.pk, people['alice'].pk)\n",
    )
    errand, alice_id = made.split()[-2:]
    watching = f"hisho.presence:{alice_id}:{errand}"
    presence = redis.Redis.from_url(shape.redis_url)

    def kenji_replies() -> None:
        status, _ = call(
            "POST",
            f"{shape.http_url(0)}/api/v1/errands/{errand}/messages",
            {"body": f"A reply {uuid.uuid4()}"},
            token=people["kenji"],
        )
        assert status == 201

    def notices_for_alice() -> int:
        with psycopg.connect(shape.database_url.replace("postgres://", "postgresql://")) as conn:
            row = conn.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult"
                " WHERE task_path = 'hisho.notify.tasks.send_errand_notice'"
                " AND args_kwargs->'args'->>0 = %s AND args_kwargs->'args'->>1 = %s",
                [alice_id, errand],
            ).fetchone()
        return int(row[0]) if row else 0

    try:
        with open_chat(shape.ws_url(0), errand, people["alice"]) as alice_watching:
            alice_watching.send(json.dumps({"type": "ping"}))
            assert next_frame(alice_watching)["type"] == "pong"  # her presence is recorded
            kenji_replies()
            assert next_frame(alice_watching)["type"] == "message"
            assert notices_for_alice() == 0
        deadline = time.monotonic() + 10
        while presence.zcard(watching) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not presence.zcard(watching), "closing the page ends her presence"
        kenji_replies()  # the page closed: now she is e-mailed
        assert notices_for_alice() == 1
    finally:
        presence.close()


def test_each_job_runs_exactly_once_under_two_workers(shape: ScaledShape, tmp_path: Path) -> None:
    jobs = 40
    runs = tmp_path / "runs.log"
    enqueue = (
        "from tests.scaled.jobs import record_run\n"
        f"for n in range({jobs}):\n"
        f"    record_run.enqueue(n, {str(runs)!r})\n"
    )
    shape.manage("shell", "-c", enqueue)
    deadline = time.monotonic() + 30
    with psycopg.connect(shape.database_url.replace("postgres://", "postgresql://")) as conn:
        while time.monotonic() < deadline:
            done = conn.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult"
                " WHERE status = 'SUCCESSFUL' AND task_path LIKE %s",
                ["tests.scaled.jobs.%"],
            ).fetchone()
            if done and done[0] >= jobs:
                break
            time.sleep(0.2)
        workers = conn.execute(
            "SELECT DISTINCT worker_ids::text FROM django_tasks_database_dbtaskresult"
            " WHERE task_path LIKE %s",
            ["tests.scaled.jobs.%"],
        ).fetchall()
    time.sleep(0.5)  # a duplicate run, if there were one, would land in the file by now
    lines = runs.read_text().split()
    job_ids = [int(n) for n in lines[0::2]]
    assert sorted(job_ids) == list(range(jobs)), "a job ran twice or not at all"
    assert len(set(lines[1::2])) == 2, "both workers took jobs from the queue"
    assert len(workers) == 2


def test_killing_an_app_process_loses_no_acknowledged_message(
    shape: ScaledShape, people: dict[str, Any]
) -> None:
    errand, token = people["errand"], people["alice"]
    acknowledged: dict[int, str] = {}
    failures: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(seq: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            body = f"client {seq} message {n}"
            # Like a load balancer: alternate between the two processes.
            base = shape.http_url((n + seq) % 2)
            try:
                status, out = call(
                    "POST",
                    f"{base}/api/v1/errands/{errand}/messages",
                    {"body": body},
                    token=token,
                    timeout=5,
                )
            except OSError:
                status = 0
            with lock:
                if status == 201:
                    acknowledged[out["id"]] = body
                else:
                    failures.append(status)

    threads = [threading.Thread(target=client, args=(seq,)) for seq in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    shape.kill(shape.processes[0])  # SIGKILL: no graceful shutdown
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    assert acknowledged and failures, "the kill happened while clients were posting"

    # Every message whose 201 reached its client is there, word for word.
    stored: dict[int, str] = {}
    after = 0
    while True:
        status, page = call(
            "GET",
            f"{shape.http_url(1)}/api/v1/errands/{errand}/messages?limit=200&after={after}",
            token=token,
        )
        assert status == 200
        stored.update({m["id"]: m["body"] for m in page["items"]})
        if not page["has_more"]:
            break
        after = page["items"][-1]["id"]
    missing = {i: b for i, b in acknowledged.items() if stored.get(i) != b}
    assert not missing

    # The killed process comes back and serves again.
    shape.restart_app(0)
    assert call("GET", f"{shape.http_url(0)}/api/v1/errands/{errand}", token=token)[0] == 200
