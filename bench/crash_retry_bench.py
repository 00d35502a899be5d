"""Crash and retry: is every acknowledged post stored exactly once when the server dies?

    .venv/bin/python bench/crash_retry_bench.py [--posts 400] [--kills 3] [--clients 4]
                                                [--modes key,nokey] [--seed 14]

Sets up the embedded shape in a temporary directory (SQLite; `hisho migrate` and
`hisho demo`), starts uvicorn on 127.0.0.1, signs alice in through allauth's app flow
and posts `--posts` chat messages (`POST /api/v1/errands/{id}/messages`) from
`--clients` threads. Meanwhile the server process is killed (SIGKILL) `--kills` times at
random moments and started again. A client retries a post until it is acknowledged
(201): after a dropped connection, a 5xx, a 409 (its first try still holds the key) or
while the server is down — at most 120 tries, with a short back-off.

Mode `key` sends one `Idempotency-Key` per post (the same on every retry); mode `nokey`
sends none, for comparison. Afterwards the errand's chat is read back and every post
counted: acknowledged, stored, duplicated (stored more than once) and lost
(acknowledged but not stored). Prints a markdown table (docs/performance.md). Bounded:
everything it starts is stopped; the whole run gives up after 10 minutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
MAX_TRIES = 120
DEADLINE_SECONDS = 600
PASSWORD = "hisho-demo-2026"  # noqa: S105 - the demo accounts' documented password


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One uvicorn process serving Hisho's embedded shape from `var`."""

    def __init__(self, var: Path, port: int) -> None:
        self.var, self.port = var, port
        self.env = {
            **os.environ,
            "HISHO_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "hisho.settings",
            "HISHO_LOG_LEVEL": "ERROR",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [PYTHON, "-m", "hisho", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                *(PYTHON, "-m", "uvicorn", "hisho.asgi:application", "--host", "127.0.0.1"),
                *("--port", str(self.port), "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not start within 60 s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None


REPLAYED = Counter[str]()


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(
            method,
            path,
            body=payload,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        data = response.read()
        if response.getheader("Idempotent-Replayed") == "true":
            REPLAYED[path] += 1
        return response.status, (json.loads(data) if data else None)
    finally:
        connection.close()


def sign_in(port: int) -> str:
    status, body = request(
        port,
        "POST",
        "/_allauth/app/v1/auth/login",
        {"email": "alice@example.com", "password": PASSWORD},
    )
    if status != 200:
        raise RuntimeError(f"sign-in failed: {status}")
    return str(body["meta"]["session_token"])


def run_mode(mode: str, posts: int, kills: int, clients: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)  # when to kill, not a secret
    with tempfile.TemporaryDirectory(prefix="hisho-crash-") as tmp:
        server = Server(Path(tmp), free_port())
        server.manage("migrate", "--no-input")
        server.manage("demo")
        server.start()
        token = sign_in(server.port)
        _, page = request(
            server.port, "GET", "/api/v1/errands?limit=50", headers={"X-Session-Token": token}
        )
        errand = next(e for e in page["items"] if e["status"] in ("assigned", "in_progress"))
        path = f"/api/v1/errands/{errand['id']}/messages"
        run_id = f"{mode}-{seed}-{int(time.time())}"

        lock = threading.Lock()
        pending = list(range(posts))
        acknowledged: set[int] = set()
        tries = Counter[int]()
        up = threading.Event()
        up.set()
        started = time.monotonic()

        def post_one(number: int) -> None:
            headers = {"X-Session-Token": token}
            if mode == "key":
                headers["Idempotency-Key"] = f"{run_id}-{number}"
            body = {"body": f"crash-retry {run_id} #{number}"}
            for attempt in range(MAX_TRIES):
                if time.monotonic() - started > DEADLINE_SECONDS:
                    return
                up.wait(timeout=30)
                tries[number] += 1
                try:
                    status, _ = request(server.port, "POST", path, body, headers)
                except (OSError, http.client.HTTPException):
                    status = 0
                if status == 201:
                    with lock:
                        acknowledged.add(number)
                    return
                time.sleep(min(0.05 * (attempt + 1), 1.0))

        def client() -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    number = pending.pop(0)
                post_one(number)

        # Kill at random moments spread over the run (by progress, not by time).
        kill_at = sorted(rng.sample(range(posts // 10, posts - posts // 10), kills))

        def killer() -> None:
            for target in kill_at:
                while True:
                    with lock:
                        done = posts - len(pending)
                    if done >= target or time.monotonic() - started > DEADLINE_SECONDS:
                        break
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.05))
                up.clear()
                server.kill()
                time.sleep(0.5)
                server.start()
                up.set()

        threads = [threading.Thread(target=client) for _ in range(clients)]
        killing = threading.Thread(target=killer)
        for thread in [*threads, killing]:
            thread.start()
        for thread in [*threads, killing]:
            thread.join()
        elapsed = time.monotonic() - started

        stored = Counter[int]()
        after = 0
        while True:
            _, page = request(
                server.port,
                "GET",
                f"{path}?after={after}&limit=200",
                headers={"X-Session-Token": token},
            )
            for message in page["items"]:
                text = message["body"]
                if text.startswith(f"crash-retry {run_id} #"):
                    stored[int(text.rsplit("#", 1)[1])] += 1
                after = max(after, message["id"])
            if not page["has_more"]:
                break
        server.kill()

    return {
        "mode": mode,
        "replayed": REPLAYED.pop(path, 0),
        "posts": posts,
        "kills": kills,
        "clients": clients,
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "duplicated": sum(1 for n in stored.values() if n > 1),
        "extra_copies": sum(n - 1 for n in stored.values() if n > 1),
        "lost": len(acknowledged - set(stored)),
        "never_acknowledged": posts - len(acknowledged),
        "retries": sum(tries.values()) - len(tries),
        "seconds": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--modes", default="key,nokey")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    results = [
        run_mode(mode, args.posts, args.kills, args.clients, args.seed)
        for mode in args.modes.split(",")
    ]
    print(
        f"\nCrash and retry: {args.posts} posts from {args.clients} clients, "
        f"uvicorn killed (SIGKILL) {args.kills}× and restarted; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite (embedded)\n"
    )
    columns = [
        "mode",
        "acknowledged",
        "stored",
        "duplicated",
        "lost",
        "never_acknowledged",
        "retries",
        "replayed",
        "seconds",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for result in results:
        print("| " + " | ".join(str(result[c]) for c in columns) + " |")
    bad = [r for r in results if r["mode"] == "key" and (r["lost"] or r["duplicated"])]
    if bad:
        sys.exit("with Idempotency-Key: lost or duplicated posts")


if __name__ == "__main__":
    main()
