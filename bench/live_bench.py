"""Throughput, latency, live delivery and memory of the scaled shape on this machine.

    .venv/bin/python bench/live_bench.py [--seconds 10] [--idle 1000] [--posts 300]
                                         [--out var/bench/live.json] [--no-profile]

Starts the scaled shape (scripts/scaled.py) on 127.0.0.1 — PostgreSQL database
`hisho_bench` (created and dropped), Redis database 4, two uvicorn app processes on ports
18300-18301 and one job worker — makes its data through the real actions
(bench/live/setup_data.py), then measures, with wrk as the load generator spreading its
connections over both app processes like a load balancer:

1. posting a 1 KB message (`POST /api/v1/errands/{id}/messages`) and the same post
   through a plain view that only inserts the row (bench/live/baseline.py), alternated in
   two rounds, at 1, 16 and 64 concurrent clients: throughput, p50, p99, and the ratio;
2. reading a 100-message history (`GET …/messages?limit=100`) at 1, 16 and 64 clients,
   by the customer, and at 16 by the assistant (whose every read is access-logged);
3. live delivery: with `--idle` idle websocket connections open (100 customers, spread
   over both processes), the time from sending a post to process A until the assignee's
   websocket on process B receives it, for `--posts` posts; then again while 16 wrk
   clients post to other errands;
4. resident memory of each app process at idle, with the idle sockets, and under load;
5. a py-spy profile of one app process during the 16-client post run: the share of its
   busy time in each step of the message path;
6. the audit sequencer's lag (it runs in the job worker): for every audit entry written
   during the run, the time from its write until a signed tree head covered it.

Prints markdown (docs/performance.md, "Live chat and the scaled shape") and writes the
raw figures as JSON. Needs wrk (`apt-get install wrk`; `make bench` installs it) and
PostgreSQL and Redis on 127.0.0.1. Stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.wrk import combine, run_wrk  # noqa: E402
from scripts.scaled import ScaledShape, drop_database, flush_redis  # noqa: E402

DATABASE = "hisho_bench"
REDIS_DB = 4
PORT = 18300
CONCURRENCY = (1, 16, 64)
# The clients that keep posting while live delivery is timed (the "16 clients").
BACKGROUND_CLIENTS = 16
# Length of each back-to-back wrk run that keeps 16 clients posting during the loaded
# live-delivery measurement (its gaps, while the next wrk starts, are milliseconds).
BACKGROUND_RUN_SECONDS = 3
# The paced condition: each of the 16 clients pauses after each answer, this long on average
# (exponentially distributed, as independent people pause; bench/live/load.lua).
PACED_DELAY_MS = 400
# Seconds the idle sockets' CPU is measured over: two of the channel layer's 5 s pops.
IDLE_CPU_WINDOW = 10


# --- the machine ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def first(cmd: list[str]) -> str:
        try:
            out = subprocess.run(  # noqa: S603 - fixed version commands
                cmd, capture_output=True, text=True, check=False, timeout=20
            )
        except OSError:
            return "?"
        return (out.stdout or out.stderr).strip().splitlines()[0] if out.stdout else "?"

    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, uvicorn, channels, channels_redis, psycopg;"
            "print(django.get_version(), uvicorn.__version__, channels.__version__,"
            " channels_redis.__version__, psycopg.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "memory": _total_memory(),
        "python": platform.python_version(),
        "django": versions[0] if versions else "?",
        "uvicorn": versions[1] if len(versions) > 1 else "?",
        "channels": versions[2] if len(versions) > 2 else "?",
        "channels_redis": versions[3] if len(versions) > 3 else "?",
        "psycopg": versions[4] if len(versions) > 4 else "?",
        "postgresql": first(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"]
        ),
        "redis": first(["redis-server", "--version"]),
        "wrk": first(["wrk", "--version"]),
    }


def _total_memory() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) // 1024 // 1024} GiB"
    return "?"


# --- memory -----------------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (/proc/<pid>/stat, clock ticks)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


class MemorySampler(threading.Thread):
    """The largest resident set of each app process seen in each named phase."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.phase = "start"
        self.peaks: dict[str, list[float]] = collections.defaultdict(lambda: [0.0] * len(pids))
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            peaks = self.peaks[self.phase]
            for i, pid in enumerate(self.pids):
                peaks[i] = max(peaks[i], rss_mib(pid))
            time.sleep(0.2)


# --- live delivery -----------------------------------------------------------------------------


class Poster:
    """Posts messages to one app process over one keep-alive HTTP connection."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        self.token = token

    def post(self, errand: str, body: str) -> tuple[int, float]:
        args = (
            "POST",
            f"/api/v1/errands/{errand}/messages",
            json.dumps({"body": body}),
            {"Content-Type": "application/json", "X-Session-Token": self.token},
        )
        try:
            self.conn.request(*args)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection (uvicorn: after 5 s).
            self.conn.close()
            self.conn.connect()
            self.conn.request(*args)
            response = self.conn.getresponse()
        payload = json.loads(response.read())
        if response.status != 201:
            raise RuntimeError(f"post answered {response.status}")
        return int(payload["id"]), time.perf_counter()


async def live_delivery(
    shape: ScaledShape,
    data: dict[str, Any],
    *,
    idle: int,
    posts: int,
    sampler: MemorySampler,
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    def chat(index: int, errand: str, token: str) -> Any:
        return connect(
            f"{shape.ws_url(index)}/ws/v1/errands/{errand}/",
            subprotocols=["hisho.v1", f"hisho.token.{token}"],  # type: ignore[list-item]
            open_timeout=60,
            ping_interval=None,
            max_queue=None,
        )

    # The processes that hold websockets: A and B, or with --socket-apps the socket-only
    # ones, as a load balancer routing /ws/ apart would (docs/scaling.md).
    at = list(range(len(shape.socket_ports())))
    people = data["idle"]
    per_person = max(1, idle // len(people))
    gate = asyncio.Semaphore(32)
    idle_frames = 0
    sockets: list[Any] = []

    async def open_idle(n: int) -> None:
        person = people[n % len(people)]
        async with gate:
            ws = await chat(at[n % len(at)], person["errand"], person["token"])
        sockets.append(ws)

    async def drain(ws: Any) -> None:
        nonlocal idle_frames
        with contextlib.suppress(Exception):
            async for _ in ws:
                idle_frames += 1

    sampler.phase = "opening idle sockets"
    started = time.perf_counter()
    await asyncio.gather(*(open_idle(n) for n in range(per_person * len(people))))
    open_seconds = time.perf_counter() - started
    drains = [asyncio.create_task(drain(ws)) for ws in sockets]
    await asyncio.sleep(2)
    sampler.phase = "idle sockets"
    # What idle sockets cost in CPU: each waits on Redis with a blocking pop answered
    # every 5 s, so the window spans two of them.
    cpu_before, idle_started = [cpu_seconds(pid) for pid in sampler.pids], time.perf_counter()
    await asyncio.sleep(IDLE_CPU_WINDOW)
    idle_cpu = [
        (cpu_seconds(pid) - before) / (time.perf_counter() - idle_started)
        for pid, before in zip(sampler.pids, cpu_before, strict=True)
    ]
    idle_rss = [rss_mib(pid) for pid in sampler.pids]

    errand = data["post_errands"][0]
    receipts: dict[int, float] = {}
    arrived = asyncio.Event()
    assignee = await chat(at[-1], errand, data["kenji"])  # B, or the last socket process

    async def read_assignee() -> None:
        async for raw in assignee:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                receipts[frame["message"]["id"]] = time.perf_counter()
                arrived.set()

    reader = asyncio.create_task(read_assignee())
    poster = Poster(shape.app_ports()[0], data["alice"])  # process A
    loop = asyncio.get_running_loop()

    async def measure(label: str, count: int) -> dict[str, Any]:
        e2e: list[float] = []
        after_ack: list[float] = []
        http_times: list[float] = []
        lost = 0
        for n in range(count):
            sent = time.perf_counter()
            message_id, acked = await loop.run_in_executor(
                None, poster.post, errand, f"{label} {n}: are we still on for Friday?"
            )
            deadline = time.perf_counter() + 5
            while message_id not in receipts and time.perf_counter() < deadline:
                arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived.wait(), timeout=0.5)
            if message_id not in receipts:
                lost += 1
                continue
            got = receipts[message_id]
            e2e.append((got - sent) * 1000)
            after_ack.append((got - acked) * 1000)
            http_times.append((acked - sent) * 1000)
            await asyncio.sleep(0.02)
        return {
            "posts": count,
            "lost": lost,
            "p50_ms": percentile(e2e, 50),
            "p99_ms": percentile(e2e, 99),
            "max_ms": max(e2e) if e2e else None,
            "post_p50_ms": percentile(http_times, 50),
            "post_p99_ms": percentile(http_times, 99),
            "after_201_p50_ms": percentile(after_ack, 50),
            "after_201_p99_ms": percentile(after_ack, 99),
        }

    await measure("warm-up", 20)
    sampler.phase = "live, idle sockets"
    quiet = await measure("quiet", posts)

    async def while_posting(label: str, delay_ms: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The timed posts while 16 clients post to the other errands — for the whole
        measurement: wrk runs back to back (in runs of BACKGROUND_RUN_SECONDS) until the
        last timed post is in. (A single run of fixed length ended before the timed posts
        did, and the later ones then measured a quiet machine.) `delay_ms`: each client
        pauses this long after each answer, on average; 0, as fast as it can."""
        stop = threading.Event()
        runs: list[dict[str, Any]] = []

        def keep_posting() -> None:
            while not stop.is_set():
                runs.append(
                    run_wrk(
                        shape.app_ports(),
                        method="POST",
                        paths=[f"/api/v1/errands/{e}/messages" for e in data["post_errands"][1:]],
                        token=data["alice"],
                        connections=BACKGROUND_CLIENTS,
                        seconds=BACKGROUND_RUN_SECONDS,
                        body=json.dumps({"body": data["message"]}),
                        delay_ms=delay_ms,
                    )
                )

        background = threading.Thread(target=keep_posting)
        background.start()
        await asyncio.sleep(1)
        try:
            timed = await measure(label, max(50, posts // 3))
        finally:
            stop.set()
            await loop.run_in_executor(None, background.join)
        return timed, combine(runs)

    # As fast as they can: the machine saturated (every request queues) ...
    sampler.phase = "live, idle sockets + 16 posting"
    loaded, background = await while_posting("loaded", 0)
    # ... and paced, each client pausing PACED_DELAY_MS between posts: busy, not saturated.
    sampler.phase = "live, idle sockets + 16 posting, paced"
    paced, paced_background = await while_posting("paced", PACED_DELAY_MS)

    # Each drain ends when its socket closes: every idle socket must have stayed open
    # through the run (they did not: until the channel layer's Redis read timeout was
    # raised above its blocking pop, quiet sockets dropped after 5-12 s).
    still_open = sum(not task.done() for task in drains)
    reader.cancel()
    await assignee.close()
    for ws in sockets:
        await ws.close()
    for task in drains:
        task.cancel()
    return {
        "idle_sockets": len(sockets),
        "idle_still_open": still_open,
        "open_seconds": open_seconds,
        "idle_frames": idle_frames,
        "idle_rss_mib": idle_rss,
        "idle_cpu_share": idle_cpu,
        "quiet": quiet,
        "loaded": loaded,
        "background": background,
        "paced": paced,
        "paced_background": paced_background,
        "paced_delay_ms": PACED_DELAY_MS,
    }


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# --- profile --------------------------------------------------------------------------------------

# Steps of the message path, each found by a frame in the sampled stacks (inclusive time).
STEPS = [
    ("DLP scrub (hisho.inbound.scrub)", ["scrub (hisho/inbound.py"]),
    ("sealing (seal_message_body)", ["seal_message_body (hisho/desk/content.py"]),
    ("audit event (record_event)", ["record_event (hisho/audit/actions.py"]),
    ("live fan-out on commit (hisho.desk.live)", ["(hisho/desk/live.py"]),
    ("the action as a whole (do_post_message)", ["do_post_message (hisho/desk/actions.py"]),
    ("token sign-in (hisho.auth)", ["authenticate (hisho/auth.py"]),
    ("access check (access_errand)", ["access_errand (hisho/desk/access.py"]),
    ("connection record (privacy middleware)", ["do_record_connection ("]),
    ("waiting on PostgreSQL (psycopg)", ["(psycopg/"]),
]


def profile(pid: int, seconds: float) -> dict[str, Any]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return {"error": "py-spy is not installed (the bench set has it: make setup-bench)"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.txt"
        done = subprocess.run(  # noqa: S603 - py-spy from this environment
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "100",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 60,
        )
        if done.returncode != 0 or not out.exists():
            return {"error": (done.stderr or done.stdout).strip()[-300:]}
        total = 0
        hits = collections.Counter[str]()
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            for name, needles in STEPS:
                if any(needle in stack for needle in needles):
                    hits[name] += n
    return {"samples": total, "share": {name: hits[name] / total for name, _ in STEPS}}


# --- what each step costs -----------------------------------------------------------------------

STEP_VARIANTS = [
    ("the full path", ""),
    ("without DLP", "dlp"),
    ("without sealing", "seal"),
    ("without the audit event", "audit"),
    ("without the blind index", "index"),
    ("without the notice checks (e-mail, push)", "notices"),
    ("without the live fan-out", "fanout"),
    ("without all six", "dlp,seal,audit,index,notices,fanout"),
]


def step_costs(
    shape: ScaledShape, data: dict[str, Any], seconds: float, connections: int = 16
) -> dict[str, Any]:
    """Restart the app processes with single steps switched off (bench/live/apps.py) and
    post at `connections` clients, alternating with the plain insert in the same setting."""
    body = json.dumps({"body": data["message"]})
    api_paths = [f"/api/v1/errands/{e}/messages" for e in data["post_errands"]]
    plain_paths = [f"/bench/plain-post/{e}" for e in data["post_errands"]]
    results: dict[str, Any] = {}
    for label, off in STEP_VARIANTS:
        shape.extra_env["HISHO_BENCH_OFF"] = off
        for index in range(shape.apps):
            shape.kill(shape.processes[index], signal.SIGTERM)
            shape.restart_app(index)

        def post(paths: list[str], run_seconds: float) -> dict[str, Any]:
            return run_wrk(
                shape.app_ports(),
                method="POST",
                paths=paths,
                token=data["alice"],
                connections=connections,
                seconds=run_seconds,
                body=body,
            )

        post(api_paths, 2)
        rounds: dict[str, list[dict[str, Any]]] = {"api": [], "plain": []}
        for _ in range(2):
            rounds["plain"].append(post(plain_paths, seconds / 2))
            rounds["api"].append(post(api_paths, seconds / 2))
        results[label] = {kind: combine(runs) for kind, runs in rounds.items()}
        print(f"{label}: {results[label]}", file=sys.stderr)
    shape.extra_env.pop("HISHO_BENCH_OFF", None)
    return results


# --- the audit sequencer -------------------------------------------------------------------------


def sequencer_lag(since: float) -> dict[str, Any]:
    """Seconds from each audit entry's write (`at`, set just before its commit) to the
    first signed tree head that covers it, for entries written since `since` (epoch)."""
    import psycopg

    with psycopg.connect(dbname=DATABASE, host="127.0.0.1", user="postgres") as db:
        rows = db.execute(
            "SELECT EXTRACT(EPOCH FROM (h.at - e.at)) FROM audit_auditevent e "
            "JOIN LATERAL (SELECT at FROM audit_audittreehead WHERE size > e.leaf_index "
            "ORDER BY size LIMIT 1) h ON true WHERE e.at >= to_timestamp(%s)",
            [since],
        ).fetchall()
        pending = db.execute(
            "SELECT count(*) FROM audit_auditevent WHERE leaf_index IS NULL"
        ).fetchone()
        heads = db.execute(
            "SELECT count(*) FROM audit_audittreehead WHERE at >= to_timestamp(%s)", [since]
        ).fetchone()
    lags = [float(r[0]) for r in rows]
    return {
        "entries": len(lags),
        "heads": int(heads[0]) if heads else 0,
        "pending_at_end": int(pending[0]) if pending else 0,
        "p50_s": percentile(lags, 50),
        "p99_s": percentile(lags, 99),
        "max_s": max(lags) if lags else None,
    }


# --- the run --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per wrk run")
    parser.add_argument("--idle", type=int, default=1000, help="idle websocket connections")
    parser.add_argument("--posts", type=int, default=300, help="posts timed for live delivery")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "live.json"))
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-steps", action="store_true", help="skip what-each-step-costs")
    parser.add_argument(
        "--pool-size", type=int, default=None, help="HISHO_DB_POOL_SIZE of the app processes"
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="the app processes' GIL switch interval in seconds (Python's default: 0.005)",
    )
    parser.add_argument(
        "--socket-apps",
        type=int,
        default=0,
        help="app processes that serve only websockets (default 0: A and B serve both)",
    )
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk (make bench does)", file=sys.stderr)
        return 2

    logs = Path(tempfile.mkdtemp(prefix="hisho-live-bench-logs-"))
    shape = ScaledShape(
        database=DATABASE,
        redis_db=REDIS_DB,
        port=PORT,
        apps=2,
        socket_apps=args.socket_apps,
        job_workers=1,
        log_dir=logs,
        extra_env={"DJANGO_SETTINGS_MODULE": "bench.live.settings"},
    )
    if args.pool_size is not None:
        shape.extra_env["HISHO_DB_POOL_SIZE"] = str(args.pool_size)
    if args.switch_interval is not None:
        shape.extra_env["HISHO_BENCH_SWITCH_INTERVAL"] = str(args.switch_interval)
    report: dict[str, Any] = {
        "machine": machine(),
        "seconds_per_run": args.seconds,
        "pool_size": args.pool_size,
        "switch_interval": args.switch_interval,
        "socket_apps": args.socket_apps,
    }
    try:
        shape.prepare(fresh=True, demo=True)
        with tempfile.NamedTemporaryFile("r", suffix=".json") as handle:
            subprocess.run(  # noqa: S603 - this repository's own module
                [sys.executable, "-m", "bench.live.setup_data", handle.name],
                cwd=ROOT,
                env=shape.env(),
                check=True,
                timeout=600,
            )
            data = json.loads(Path(handle.name).read_text())
        shape.start(with_jobs=True)
        pids = [p.pid for p in shape.app_processes() if p.pid]
        sampler = MemorySampler(pids)
        sampler.start()
        time.sleep(3)
        report["rss_idle_mib"] = [rss_mib(pid) for pid in pids]

        body = json.dumps({"body": data["message"]})
        api_paths = [f"/api/v1/errands/{e}/messages" for e in data["post_errands"]]
        plain_paths = [f"/bench/plain-post/{e}" for e in data["post_errands"]]
        read_paths = [f"/api/v1/errands/{data['read_errand']}/messages?limit=100"]

        def post(paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
            return run_wrk(
                shape.app_ports(),
                method="POST",
                paths=paths,
                token=data["alice"],
                connections=connections,
                seconds=seconds,
                body=body,
            )

        # Warm both processes (imports, key caches, pools).
        sampler.phase = "warm-up"
        post(api_paths, 16, 3)
        post(plain_paths, 16, 3)
        run_wrk(
            shape.app_ports(),
            method="GET",
            paths=read_paths,
            token=data["alice"],
            connections=16,
            seconds=3,
        )

        posts: dict[str, Any] = {}
        reads: dict[str, Any] = {}
        run_started = time.time()
        for c in CONCURRENCY:
            sampler.phase = f"load c={c}"
            rounds: dict[str, list[dict[str, Any]]] = {"api": [], "plain": []}
            for _ in range(2):
                rounds["plain"].append(post(plain_paths, c, args.seconds / 2))
                rounds["api"].append(post(api_paths, c, args.seconds / 2))
            posts[str(c)] = {kind: combine(runs) for kind, runs in rounds.items()}
            reads[str(c)] = combine(
                [
                    run_wrk(
                        shape.app_ports(),
                        method="GET",
                        paths=read_paths,
                        token=data["alice"],
                        connections=c,
                        seconds=args.seconds,
                    )
                ]
            )
            print(f"c={c}: posts {posts[str(c)]} reads {reads[str(c)]}", file=sys.stderr)
        sampler.phase = "load c=16 (assistant reads)"
        reads["16, assistant"] = combine(
            [
                run_wrk(
                    shape.app_ports(),
                    method="GET",
                    paths=read_paths,
                    token=data["kenji"],
                    connections=16,
                    seconds=args.seconds,
                )
            ]
        )
        report["posts"] = posts
        report["reads"] = reads

        if not args.no_profile:
            sampler.phase = "profile"
            box: list[dict[str, Any]] = []
            load = threading.Thread(
                target=lambda: box.append(post(api_paths, 16, args.seconds + 4)), daemon=True
            )
            load.start()
            time.sleep(2)
            report["profile"] = profile(pids[0], args.seconds)
            load.join()

        report["live"] = asyncio.run(
            live_delivery(
                shape,
                data,
                idle=args.idle,
                posts=args.posts,
                sampler=sampler,
            )
        )
        time.sleep(3)  # the sequencer's last round
        report["sequencer_lag"] = sequencer_lag(run_started)
        print(f"sequencer lag: {report['sequencer_lag']}", file=sys.stderr)
        sampler.stopped.set()
        report["rss_peaks_mib"] = {phase: peaks for phase, peaks in sampler.peaks.items()}
        if not args.no_steps:
            report["steps"] = step_costs(shape, data, args.seconds)
    finally:
        shape.stop()
        drop_database(DATABASE)
        flush_redis(shape.redis_url)
        shutil.rmtree(logs, ignore_errors=True)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(markdown(report))
    return 0


def closed_loop(live: dict[str, Any]) -> str:
    """What the loaded delivery target asks of throughput. The 16 background clients are a
    closed loop: each sends its next post when its last is answered. Little's law, N = X·R,
    then fixes their mean response time at 16 / X whatever the code does: the POST's own
    wait is set by the throughput X the machine reaches, and a delivery p99 under 150 ms
    needs the POST's p99 under it first. With the p99/mean ratio this run measured, the
    throughput at which the POST's p99 would be 150 ms is 16 · (p99/mean) / 0.15 s."""
    background = live["background"]
    rps, mean, p99 = background["rps"], background.get("mean_ms"), background["p99_ms"]
    if not mean or not rps:
        return "Closed loop: no mean latency in this run's background figures."
    clients = BACKGROUND_CLIENTS
    needed = clients * (p99 / mean) / 0.150
    return (
        f"Closed loop (Little's law, N = X·R): {clients} clients at {rps:.0f} req/s wait "
        f"{clients} / X = {clients * 1000 / rps:.0f} ms per post on average; wrk measured "
        f"a mean of {mean:.0f} ms (p99 {p99:.0f} ms, {p99 / mean:.1f}× the mean). For the "
        f"POST's own p99 to be under 150 ms at that ratio, the machine would have to serve "
        f"{needed:.0f} posts/s ({needed / rps:.1f}× this run's)."
    )


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}, "
        f"Django {m['django']}, uvicorn {m['uvicorn']}, channels {m['channels']}, "
        f"channels-redis {m['channels_redis']}, psycopg {m['psycopg']}, "
        f"PostgreSQL {m['postgresql']}, {m['redis']}, {m['wrk']}.",
        "",
        "| clients | API post: req/s | p50 | p99 | plain insert: req/s | p50 | p99 "
        "| API / plain | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c, row in report["posts"].items():
        api, plain = row["api"], row["plain"]
        lines.append(
            f"| {c} | {api['rps']:.0f} | {api['p50_ms']:.1f} ms | {api['p99_ms']:.1f} ms "
            f"| {plain['rps']:.0f} | {plain['p50_ms']:.1f} ms | {plain['p99_ms']:.1f} ms "
            f"| {api['rps'] / plain['rps']:.0%} | {api['errors'] + plain['errors']} |"
        )
    lines += [
        "",
        "| clients | read 100 messages: req/s | p50 | p99 | errors |",
        "|---:|---:|---:|---:|---:|",
    ]
    for c, row in report["reads"].items():
        lines.append(
            f"| {c} | {row['rps']:.0f} | {row['p50_ms']:.1f} ms | {row['p99_ms']:.1f} ms "
            f"| {row['errors']} |"
        )
    live = report["live"]
    lines += [
        "",
        f"Live delivery, {live['idle_sockets']} idle websockets open "
        f"(opened in {live['open_seconds']:.1f} s; frames they received: "
        f"{live['idle_frames']}; still open at the end: "
        f"{live.get('idle_still_open', 'not counted')}; CPU of each app process while "
        f"they idled: {', '.join(f'{c:.1%}' for c in live.get('idle_cpu_share', []))}):",
        "",
        "| condition | posts | post → socket p50 | p99 | max | POST itself p50 | p99 "
        "| 201 → socket p50 | p99 | lost |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    conditions = [
        ("quiet", "quiet"),
        (
            f"16 clients posting as fast as they can ({live['background']['rps']:.0f} req/s)",
            "loaded",
        ),
        (
            f"16 clients posting, each pausing {live['paced_delay_ms']} ms on average "
            f"({live['paced_background']['rps']:.0f} req/s)",
            "paced",
        ),
    ]
    for label, key in conditions:
        r = live[key]
        lines.append(
            f"| {label} | {r['posts']} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms "
            f"| {r['max_ms']:.1f} ms | {r['post_p50_ms']:.1f} ms | {r['post_p99_ms']:.1f} ms "
            f"| {r['after_201_p50_ms']:.1f} ms | {r['after_201_p99_ms']:.1f} ms | {r['lost']} |"
        )
    lines += ["", closed_loop(live)]
    lag = report.get("sequencer_lag")
    if lag and lag.get("entries"):
        lines += [
            "",
            f"Audit sequencer lag, write → covered by a signed tree head, {lag['entries']} "
            f"entries written during the run, {lag['heads']} heads signed: p50 "
            f"{lag['p50_s'] * 1000:.0f} ms, p99 {lag['p99_s'] * 1000:.0f} ms, max "
            f"{lag['max_s'] * 1000:.0f} ms; not integrated at the end: {lag['pending_at_end']}.",
        ]
    names = ["app process A", "app process B"] + [
        f"socket process {n + 1}" for n in range(len(report["rss_idle_mib"]) - 2)
    ]

    def memory_row(label: str, values: list[float]) -> str:
        return f"| {label} | " + " | ".join(f"{v:.0f} MiB" for v in values) + " |"

    lines += ["", "| memory (RSS) | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines.append(memory_row("idle after start", report["rss_idle_mib"]))
    for phase, peaks in report["rss_peaks_mib"].items():
        if phase not in ("start", "warm-up"):
            lines.append(memory_row(f"peak, {phase}", peaks))
    lines.append(
        memory_row(f"{live['idle_sockets']} idle sockets open, at rest", live["idle_rss_mib"])
    )
    steps = report.get("steps")
    if steps:
        lines += [
            "",
            "What each step of the post costs (16 clients; each row a restart of both app "
            "processes, alternating with the plain insert):",
            "",
            "| API post | req/s | p50 | plain insert req/s | API / plain |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, row in steps.items():
            api, plain = row["api"], row["plain"]
            lines.append(
                f"| {label} | {api['rps']:.0f} | {api['p50_ms']:.1f} ms | {plain['rps']:.0f} "
                f"| {api['rps'] / plain['rps']:.0%} |"
            )
    prof = report.get("profile")
    if prof and "share" in prof:
        lines += [
            "",
            f"Profile of app process A, API posts at 16 clients ({prof['samples']} samples "
            "of its busy threads; inclusive):",
            "",
            "| step | share of busy time |",
            "|---|---:|",
        ]
        for name, share in prof["share"].items():
            lines.append(f"| {name} | {share:.1%} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
