"""Side by side with a peer: the same 1 KB post against Hisho and against django-helpdesk.

    .venv/bin/python bench/peer_bench.py [--seconds 6] [--rounds 3] [--out var/bench/peer.json]

Hisho: `POST /api/v1/errands/{id}/messages` (django-ninja), alice posting into one of 32
errands of hers, signed in with an app token. The peer: django-helpdesk's follow-up API
(DRF), `POST /helpdesk/api/followups/`, a staff user adding a private follow-up to one of
32 tickets, signed in with a DRF token. Both on the same PostgreSQL (a database each,
made and dropped here), both behind uvicorn (uvloop, httptools), two app processes each
with psycopg's pool of 8, both driven by the same wrk script (bench/live/load.lua) that
spreads its connections over the two processes. Hisho runs in its scaled shape with its
job worker (the audit sequencer) and Redis, as in production.

The peer comes from PyPI into a venv of its own (`make setup-peer` → .venv-peer, from the
hashed lock bench/peer/requirements.txt); its minimal project is bench/peer/.

At 1 and 16 clients, `--rounds` rounds, each round one run of each (the order alternating
round by round), so both see the same conditions; the figure is the median of the
rounds' ratios (Hisho req/s ÷ peer req/s). Prints markdown (docs/performance.md, "Side
by side with django-helpdesk") and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live_bench import machine  # noqa: E402
from bench.wrk import combine, run_wrk  # noqa: E402
from scripts.scaled import ScaledShape, create_database, drop_database, flush_redis  # noqa: E402

HISHO_DATABASE = "hisho_peer_bench_hisho"
PEER_DATABASE = "hisho_peer_bench_helpdesk"
REDIS_DB = 5
HISHO_PORT = 18500
PEER_PORT = 18510
APPS = 2
PEER_DIR = ROOT / "bench" / "peer"
PEER_BIN = ROOT / ".venv-peer" / "bin"
CONCURRENCY = (1, 16)


class Peer:
    """django-helpdesk in two uvicorn processes, with .venv-peer's Python."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DJANGO_"))}
        self.env.pop("DATABASE_URL", None)
        self.env.update(
            PEER_DATABASE=PEER_DATABASE,
            DJANGO_SETTINGS_MODULE="peer_site.settings",
            PYTHONPATH=str(PEER_DIR),
        )

    def run(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - the peer venv's Python, fixed arguments
            [str(PEER_BIN / "python"), *args],
            cwd=PEER_DIR,
            env=self.env,
            check=True,
            timeout=600,
            stdout=subprocess.DEVNULL,
        )

    def prepare(self) -> dict[str, Any]:
        create_database(PEER_DATABASE, fresh=True)
        self.run("manage.py", "migrate", "--no-input", "-v", "0")
        with tempfile.NamedTemporaryFile("r", suffix=".json") as handle:
            self.run("setup_data.py", handle.name)
            data: dict[str, Any] = json.loads(Path(handle.name).read_text())
        return data

    def ports(self) -> list[int]:
        return [PEER_PORT + i for i in range(APPS)]

    def start(self) -> None:
        for port in self.ports():
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - the peer venv's uvicorn, fixed arguments
                    [
                        str(PEER_BIN / "uvicorn"),
                        "peer_site.asgi:application",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--no-access-log",
                        "--lifespan",
                        "off",
                    ],
                    cwd=PEER_DIR,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        for port, process in zip(self.ports(), self.processes, strict=True):
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the peer on port {port} exited")
                try:
                    # Any answer (401 without a token) means it is up.
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/helpdesk/api/followups/", timeout=2
                    )
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "peer.json"))
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk (make bench does)", file=sys.stderr)
        return 2
    if not (PEER_BIN / "uvicorn").exists():
        print("the peer is not installed: make setup-peer", file=sys.stderr)
        return 2

    logs = Path(tempfile.mkdtemp(prefix="hisho-peer-bench-logs-"))
    shape = ScaledShape(
        database=HISHO_DATABASE, redis_db=REDIS_DB, port=HISHO_PORT, apps=APPS, log_dir=logs
    )
    peer = Peer()
    report: dict[str, Any] = {
        "machine": machine(),
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "load_average_start": os.getloadavg(),
    }
    try:
        shape.prepare(fresh=True, demo=True)
        with tempfile.NamedTemporaryFile("r", suffix=".json") as handle:
            subprocess.run(  # noqa: S603 - this repository's own module
                [sys.executable, "-m", "bench.live.setup_data", handle.name, "--idle-people", "1"],
                cwd=ROOT,
                env=shape.env(),
                check=True,
                timeout=600,
            )
            hisho_data = json.loads(Path(handle.name).read_text())
        peer_data = peer.prepare()
        shape.start(with_jobs=True, timeout=180)  # a busy shared machine starts slowly
        peer.start()

        message = hisho_data["message"]  # 1 KB
        hisho_body = json.dumps({"body": message})
        peer_body = json.dumps({"ticket": "%TICKET%", "comment": message, "public": False})
        peer_body = peer_body.replace('"%TICKET%"', "%TICKET%")  # an integer id

        def hisho(connections: int, seconds: float) -> dict[str, Any]:
            return run_wrk(
                shape.app_ports(),
                method="POST",
                paths=[f"/api/v1/errands/{e}/messages" for e in hisho_data["post_errands"]],
                token=hisho_data["alice"],
                body=hisho_body,
                connections=connections,
                seconds=seconds,
            )

        def helpdesk(connections: int, seconds: float) -> dict[str, Any]:
            return run_wrk(
                peer.ports(),
                method="POST",
                paths=["/helpdesk/api/followups/"],
                token=f"Token {peer_data['token']}",
                auth_header="Authorization",
                tickets=peer_data["tickets"],
                body=peer_body,
                connections=connections,
                seconds=seconds,
            )

        # Warm both (imports, pools, caches).
        hisho(16, 3)
        helpdesk(16, 3)

        results: dict[str, Any] = {}
        for c in CONCURRENCY:
            runs: dict[str, list[dict[str, Any]]] = {"hisho": [], "peer": []}
            ratios = []
            for n in range(args.rounds):
                order = [("hisho", hisho), ("peer", helpdesk)]
                for name, run in order if n % 2 == 0 else order[::-1]:
                    runs[name].append(run(c, args.seconds))
                ratios.append(runs["hisho"][-1]["rps"] / runs["peer"][-1]["rps"])
            results[str(c)] = {
                "hisho": combine(runs["hisho"]),
                "peer": combine(runs["peer"]),
                "ratios": ratios,
                "ratio_median": statistics.median(ratios),
            }
            print(f"c={c}: {results[str(c)]}", file=sys.stderr)
        report["results"] = results
        report["load_average_end"] = os.getloadavg()
    finally:
        peer.stop()
        shape.stop()
        drop_database(HISHO_DATABASE)
        drop_database(PEER_DATABASE)
        flush_redis(shape.redis_url)
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"logs: {logs}", file=sys.stderr)
        else:
            shutil.rmtree(logs, ignore_errors=True)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(markdown(report))
    return 0


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, Django {m['django']}, "
        f"uvicorn {m['uvicorn']}, PostgreSQL {m['postgresql']}, {m['wrk']}; load average "
        f"{report['load_average_start'][0]:.1f} at the start, "
        f"{report['load_average_end'][0]:.1f} at the end. {report['rounds']} rounds of "
        f"{report['seconds_per_run']:.0f} s per side and client count.",
        "",
        "| clients | Hisho req/s | p50 | p99 | django-helpdesk req/s | p50 | p99 "
        "| Hisho / helpdesk (median of rounds) | rounds | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for c, row in report["results"].items():
        h, p = row["hisho"], row["peer"]
        rounds = ", ".join(f"{r:.2f}" for r in row["ratios"])
        lines.append(
            f"| {c} | {h['rps']:.0f} | {h['p50_ms']:.1f} ms | {h['p99_ms']:.1f} ms "
            f"| {p['rps']:.0f} | {p['p50_ms']:.1f} ms | {p['p99_ms']:.1f} ms "
            f"| **{row['ratio_median']:.2f}×** | {rounds} | {h['errors'] + p['errors']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
