"""The scaled shape, started for real: PostgreSQL, Redis, two app processes (uvicorn) and
two job workers on 127.0.0.1 (scripts/scaled.py). It proves what one process cannot:

- a message posted through process A reaches a websocket connected to process B;
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
from websockets.sync.client import ClientConnection, connect

from scripts.scaled import ScaledShape
from tests.scaled.conftest import call

pytestmark = pytest.mark.scaled


def open_chat(shape: ScaledShape, index: int, errand_id: str, token: str) -> ClientConnection:
    return connect(
        f"{shape.ws_url(index)}/ws/v1/errands/{errand_id}/",
        subprotocols=["hisho.v1", f"hisho.token.{token}"],  # type: ignore[list-item]
        open_timeout=10,
    )


def next_frame(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return frame


def test_a_message_posted_through_one_process_reaches_a_socket_on_the_other(
    shape: ScaledShape, people: dict[str, Any]
) -> None:
    errand = people["errand"]
    with (
        open_chat(shape, 1, errand, people["kenji"]) as kenji_on_b,
        open_chat(shape, 0, errand, people["alice"]) as alice_on_a,
    ):
        body = f"Posted through A {uuid.uuid4()}"
        status, posted = call(
            "POST",
            f"{shape.http_url(0)}/api/v1/errands/{errand}/messages",
            {"body": body},
            token=people["alice"],
        )
        assert status == 201
        got = next_frame(kenji_on_b)
        assert got["type"] == "message"
        assert got["message"]["id"] == posted["id"] and got["message"]["body"] == body
        # And the other way: a post over kenji's socket on B reaches alice's socket on A.
        kenji_on_b.send(json.dumps({"type": "message.post", "ref": "k1", "body": "From B"}))
        ack = next_frame(kenji_on_b)
        assert ack["type"] == "posted" and ack["ref"] == "k1"
        frames = [next_frame(alice_on_a), next_frame(alice_on_a)]
        assert [f["message"]["body"] for f in frames] == [body, "From B"]
        assert frames[1]["message"]["id"] == ack["message"]["id"]


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
