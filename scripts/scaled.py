"""The scaled shape on one machine: PostgreSQL, Redis, N app processes, M job workers.

    .venv/bin/python scripts/scaled.py [--database hisho_scaled] [--redis-db 4]
                                       [--port 18100] [--apps 2] [--socket-apps 0]
                                       [--job-workers 1] [--demo] [--fresh]

`make scaled` runs it. Everything listens on 127.0.0.1 only. It

1. creates the PostgreSQL database if it does not exist (`--fresh`: drops it first),
2. runs `hisho migrate` once (which also creates the secret key and the master keyring
   under the shape's own HISHO_VAR_DIR, so every process shares them), and `hisho demo`
   with `--demo`,
3. starts the app processes (`uvicorn hisho.asgi:application`, one per port, from
   `--port` up), then `--socket-apps` more for the websockets alone (the same program:
   what sets them apart is that the load balancer routes `/ws/` to them and everything
   else to the others), and the job workers (`hisho worker`, when the task queue is
   installed), all with the same environment (printed, so you can start more by hand),
4. waits until every app answers, prints where they are, and runs until Ctrl-C or
   SIGTERM, then stops them all (SIGTERM, then SIGKILL after a grace period).

In front of the app processes goes any load balancer (docs/scaling.md); websockets need
no sticky sessions, because events travel through Redis to whichever process holds the
connection. Websockets on processes of their own keep a chat's frames from queueing
behind HTTP requests (measured: docs/performance.md, "websockets on app processes of
their own"). tests/scaled/ and bench/ use `ScaledShape` from this module.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOOPBACK = "127.0.0.1"


def _hisho() -> list[str]:
    return [sys.executable, "-m", "hisho"]


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def create_database(name: str, *, fresh: bool = False, admin_url: str = PG_ADMIN_URL) -> None:
    """CREATE DATABASE `name` unless it exists (with `fresh`: drop it first)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str, *, admin_url: str = PG_ADMIN_URL) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def flush_redis(redis_url: str) -> None:
    """Empty the shape's own Redis database (its number is in the URL)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


def tasks_installed() -> bool:
    """Whether the database task queue (django-tasks-db) is part of this install."""
    out = subprocess.run(  # noqa: S603 - this repository's own command
        [
            *_hisho(),
            "shell",
            "-c",
            "from django.conf import settings;print('django_tasks_db' in settings.INSTALLED_APPS)",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=os.environ.copy(),
    )
    return out.stdout.strip().endswith("True")


@dataclass
class Process:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    port: int | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class ScaledShape:
    """Start and stop the scaled shape; every process it starts, it stops."""

    database: str
    redis_db: int
    port: int = 18100
    apps: int = 2
    # App processes the load balancer sends only `/ws/` to (their ports follow the apps');
    # with none, the apps hold the websockets too.
    socket_apps: int = 0
    job_workers: int = 1
    var_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # The operator's HISHO_* settings from this environment (HISHO_PUBLIC_URL,
    # HISHO_ALLOWED_HOSTS, HISHO_CSRF_TRUSTED_ORIGINS, HISHO_MODE, …) go to every process
    # (`make scaled`); tests and benches start from none, whatever the shell holds.
    inherit_settings: bool = False
    log_dir: Path | None = None
    uvicorn_args: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    _own_var: tempfile.TemporaryDirectory[str] | None = None

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.redis_db}"

    @property
    def database_url(self) -> str:
        return database_url(self.database)

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if self.inherit_settings or not k.startswith("HISHO_")
        }
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        if self.var_dir is None:
            self._own_var = tempfile.TemporaryDirectory(prefix="hisho-scaled-")
            self.var_dir = Path(self._own_var.name)
        env.update(
            DJANGO_SETTINGS_MODULE="hisho.settings",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            HISHO_VAR_DIR=str(self.var_dir),
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
        )
        env.setdefault("HISHO_LOG_LEVEL", "WARNING")
        env.update(self.extra_env)
        return env

    def app_ports(self) -> list[int]:
        """The ports that take HTTP: everything but `/ws/`."""
        return [self.port + i for i in range(self.apps)]

    def socket_ports(self) -> list[int]:
        """The ports that take `/ws/`: the socket processes', or the apps' if none."""
        if not self.socket_apps:
            return self.app_ports()
        return [self.port + self.apps + i for i in range(self.socket_apps)]

    def http_url(self, index: int = 0) -> str:
        return f"http://{LOOPBACK}:{self.app_ports()[index]}"

    def ws_url(self, index: int = 0) -> str:
        return f"ws://{LOOPBACK}:{self.socket_ports()[index]}"

    def app_processes(self) -> list[Process]:
        """Every uvicorn process, the socket processes included (in port order)."""
        return [p for p in self.processes if p.port is not None]

    # --- lifecycle ------------------------------------------------------------------------

    def prepare(self, *, fresh: bool = False, demo: bool = False) -> None:
        create_database(self.database, fresh=fresh)
        flush_redis(self.redis_url)
        env = self.env()
        subprocess.run(  # noqa: S603 - this repository's own command
            [*_hisho(), "migrate", "--no-input", "-v", "0"], check=True, cwd=ROOT, env=env
        )
        if demo:
            subprocess.run(  # noqa: S603 - this repository's own command
                [*_hisho(), "demo"], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL
            )

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run one `hisho` command against the shape; returns its output."""
        done = subprocess.run(  # noqa: S603 - this repository's own command
            [*_hisho(), *args],
            check=True,
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return done.stdout

    def _spawn(self, process: Process) -> Process:
        output: int | object = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{process.name}.log", "ab")  # noqa: SIM115 - child's
        process.proc = subprocess.Popen(  # noqa: S603 - fixed argv of this repository's tools
            process.argv,
            cwd=ROOT,
            env=self.env(),
            stdout=output,  # type: ignore[arg-type]
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, not by name
        )
        if self.log_dir is not None:
            output.close()  # type: ignore[union-attr]
        return process

    def app_argv(self, port: int) -> list[str]:
        return [
            str(BIN / "uvicorn"),
            "hisho.asgi:application",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--no-access-log",
            "--lifespan",
            "off",
            # Frames bigger than this are refused by the server (docs/api-limits.md).
            "--ws-max-size",
            str(256 * 1024),
            *self.uvicorn_args,
        ]

    def start(self, *, with_jobs: bool | None = None, timeout: float = 30) -> None:
        for index, port in enumerate(self.app_ports()):
            self.processes.append(
                self._spawn(Process(f"app{index}", self.app_argv(port), port=port))
            )
        if self.socket_apps:  # with none, socket_ports() are the apps', started above
            for index, port in enumerate(self.socket_ports()):
                self.processes.append(
                    self._spawn(Process(f"sockets{index}", self.app_argv(port), port=port))
                )
        if with_jobs is None:
            with_jobs = self.job_workers > 0 and tasks_installed()
        if with_jobs:
            for index in range(self.job_workers):
                argv = [
                    *_hisho(),
                    "worker",
                    "--interval",
                    "0.2",
                    "--no-startup-delay",
                    "--worker-id",
                    f"w{index}",
                ]
                self.processes.append(self._spawn(Process(f"worker{index}", argv)))
        for app in self.app_processes():
            self.wait_ready(app, timeout=timeout)

    def wait_ready(self, app: Process, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        # Any process answers HTTP (a socket process too: health checks reach it so).
        url = f"http://{LOOPBACK}:{app.port}/api/v1/openapi.json"
        while time.monotonic() < deadline:
            if not app.running():
                raise RuntimeError(
                    f"{app.name} exited with {app.proc.returncode if app.proc else '?'}"
                )
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                # The first answer builds the OpenAPI schema: seconds on a busy machine.
                urllib.request.urlopen(url, timeout=20) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{app.name} did not answer on {url} within {timeout} s")

    def restart_app(self, index: int, *, timeout: float = 30) -> None:
        app = self.processes[index]
        self._spawn(app)
        self.wait_ready(app, timeout=timeout)

    def kill(self, process: Process, sig: int = signal.SIGKILL) -> None:
        if process.running() and process.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.proc.pid, sig)
            process.proc.wait(timeout=10)

    def stop(self, grace: float = 10) -> None:
        for process in self.processes:
            if process.running() and process.proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes:
            if process.proc is None:
                continue
            try:
                process.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(process)
        self.processes.clear()
        if self._own_var is not None:
            self._own_var.cleanup()
            self._own_var = None
            self.var_dir = None

    @contextlib.contextmanager
    def running(
        self, *, demo: bool = True, fresh: bool = True, with_jobs: bool | None = None
    ) -> Iterator[ScaledShape]:
        try:
            self.prepare(fresh=fresh, demo=demo)
            self.start(with_jobs=with_jobs)
            yield self
        finally:
            self.stop()


def public_url(environ: Mapping[str, str], port: int) -> str:
    """Where links in e-mails point: the operator's public address (the load balancer's),
    else the first app process — not the embedded shape's default port, which nothing
    serves here."""
    return environ.get("HISHO_PUBLIC_URL") or f"http://{LOOPBACK}:{port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="hisho_scaled")
    parser.add_argument("--redis-db", type=int, default=4)
    parser.add_argument("--port", type=int, default=18100)
    parser.add_argument("--apps", type=int, default=2)
    parser.add_argument(
        "--socket-apps",
        type=int,
        default=0,
        help="app processes for the websockets alone: route /ws/ to them (docs/scaling.md)",
    )
    parser.add_argument("--job-workers", type=int, default=1)
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "scaled"))
    parser.add_argument("--demo", action="store_true", help="load the demo people and errands")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    args = parser.parse_args(argv)

    var_dir = Path(args.var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    public = public_url(os.environ, args.port)
    shape = ScaledShape(
        database=args.database,
        redis_db=args.redis_db,
        port=args.port,
        apps=args.apps,
        socket_apps=args.socket_apps,
        job_workers=args.job_workers,
        var_dir=var_dir,
        log_dir=var_dir / "logs",
        extra_env={"HISHO_PUBLIC_URL": public},
        inherit_settings=True,
    )
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        shape.prepare(fresh=args.fresh, demo=args.demo)
        shape.start()
        env = shape.env()
        print("Hisho, scaled shape (Ctrl-C stops everything):")
        for name in ("DATABASE_URL", "REDIS_URL", "HISHO_VAR_DIR", "HISHO_PUBLIC_URL"):
            print(f"  {name}={env[name]}")
        given = sorted(k for k in os.environ if k.startswith("HISHO_") and k != "HISHO_VAR_DIR")
        if given:
            print(f"  from this environment: {', '.join(given)}")
        apps = shape.app_processes()
        for index, app in enumerate(apps[: shape.apps]):
            print(f"  app {index}: {shape.http_url(index)}  (pid {app.pid})")
        for index, app in enumerate(apps[shape.apps :]):
            print(f"  websockets {index}: {shape.ws_url(index)}/ws/  (pid {app.pid})")
        if shape.socket_apps:
            print("  route /ws/ to the websocket processes, everything else to the apps")
        for process in shape.processes[len(apps) :]:
            print(f"  {process.name}: pid {process.pid}")
        print(f"  logs: {shape.log_dir}")
        while not stopping:
            for process in shape.processes:
                if not process.running():
                    print(f"{process.name} exited; stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        shape.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
