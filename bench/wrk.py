"""The load generator shared by bench/live_bench.py and bench/peer_bench.py: wrk (Debian's
package) with bench/live/load.lua, which spreads its connections over several app
processes like a load balancer and prints one JSON line of results."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "live" / "load.lua"
ERROR_KINDS = ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")


def run_wrk(
    ports: list[int],
    *,
    method: str,
    paths: list[str],
    token: str,
    connections: int,
    seconds: float,
    body: str = "",
    auth_header: str = "",
    tickets: list[int] | None = None,
    delay_ms: int = 0,
) -> dict[str, Any]:
    """One wrk run against the app processes on `ports` (127.0.0.1): its JSON line, with
    `rps` and the sum of every kind of error added. `delay_ms`: each connection pauses
    after each answer, this long on average (exponential think times: a paced load); 0, as
    fast as it can."""
    env = dict(os.environ)
    env.update(
        BENCH_METHOD=method,
        BENCH_PATHS=",".join(paths),
        BENCH_TOKEN=token,
        BENCH_BODY=body,
        BENCH_PORTS=",".join(str(p) for p in ports),
        BENCH_AUTH_HEADER=auth_header,
        BENCH_TICKETS=",".join(str(t) for t in tickets or []),
        BENCH_DELAY_MS=str(int(delay_ms)),
    )
    out = subprocess.run(  # noqa: S603 - the load generator, fixed arguments
        [  # noqa: S607 - wrk from PATH (Debian's package)
            "wrk",
            f"-t{1 if connections == 1 else 2}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{ports[0]}",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=seconds + 60,
    )
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    result: dict[str, Any] = json.loads(line)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[kind] for kind in ERROR_KINDS)
    return result


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one scenario: total throughput over total time; latencies: the median of
    the rounds' percentiles (wrk reports percentiles, not samples), and the mean over every
    request (each round's mean weighted by its requests)."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["duration_us"] for r in runs) / 1e6
    return {
        "rps": requests / seconds,
        "requests": requests,
        "mean_ms": sum(r["mean_us"] * r["requests"] for r in runs) / max(requests, 1) / 1000,
        "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
        "errors": sum(r["errors"] for r in runs),
        "rounds": len(runs),
    }
