"""What the privacy center costs per request, and how fast the retention job is.

    .venv/bin/python bench/privacy_bench.py [--database-url URL] [--rounds N] [--rows N]

Runs in one process on a scratch database (as bench/vault_bench.py: a temporary SQLite
file unless --database-url names an empty database), loads the demo, and measures:

- a signed-in API call (`GET /api/v1/errands`, app token) and an anonymous page whose
  visitor accepted page counting (`GET /privacy/`), each through Django's full stack
  with the privacy middlewares (connection record, page count, cookie gate) and without
  them, interleaved in small blocks;
- the retention job on N connection records (half due for shortening, a quarter for
  deletion), and a second run over the same rows (nothing left to do).

Prints a markdown table (docs/performance.md, "Privacy center").
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from vault_bench import setup  # noqa: E402 - the same scratch database and demo

PRIVACY_MIDDLEWARE = {
    "hisho.privacy.middleware.CookieGateMiddleware",
    "hisho.privacy.middleware.ConnectionMiddleware",
}


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def compare(
    rounds: int, with_: Callable[[], Any], without: Callable[[], Any]
) -> tuple[float, float]:
    a: list[float] = []
    b: list[float] = []
    for _ in range(3):  # warm up both
        with_()
        without()
    for _ in range(rounds // 5):
        a += [timed(with_) for _ in range(5)]
        b += [timed(without) for _ in range(5)]
    return statistics.median(a), statistics.median(b)


def clients(token: str) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client, override_settings

    plain = [m for m in settings.MIDDLEWARE if m not in PRIVACY_MIDDLEWARE]
    made: dict[str, Any] = {}
    for mode in ("with", "without"):
        api, page, refused = Client(), Client(), Client()
        page.cookies["hisho_cookie_choice"] = "accept"
        refused.cookies["hisho_cookie_choice"] = "reject"
        if mode == "without":
            # Each client builds its middleware chain on its first request.
            with override_settings(MIDDLEWARE=plain):
                api.get("/api/v1/errands", headers={"X-Session-Token": token})
                page.get("/privacy/")
                refused.get("/privacy/")
        made[mode] = (api, page, refused)
    return made


def retention(rows: int) -> tuple[float, float, int, int]:
    from django.utils import timezone

    from hisho.privacy.actions.retention import do_enforce_connection_retention
    from hisho.privacy.models import ConnectionRecord

    now = timezone.now()
    ages = [1, 10, 30, 100]  # days: kept, shortened, shortened, deleted
    ConnectionRecord.objects.all().delete()
    ConnectionRecord.objects.bulk_create(
        [
            ConnectionRecord(
                at=now - dt.timedelta(days=ages[i % 4]),
                ip=f"198.51.{(i // 256) % 256}.{i % 256}",
                user_agent="Mozilla/5.0 (bench)",
                route="errands/",
                method="GET",
                status=200,
            )
            for i in range(rows)
        ],
        batch_size=5000,
    )
    start = time.perf_counter()
    first = do_enforce_connection_retention(now=now)
    first_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    do_enforce_connection_retention(now=now)
    second_ms = (time.perf_counter() - start) * 1000
    return first_ms, second_ms, first.truncated, first.deleted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    scratch, _demo = setup(args.database_url)
    try:
        import django
        from django.db import connection

        from tests.conftest import sign_in

        token = sign_in("alice")
        made = clients(token)
        token_headers = {"X-Session-Token": token}
        rows = []
        api = compare(
            args.rounds,
            lambda: made["with"][0].get("/api/v1/errands", headers=token_headers),
            lambda: made["without"][0].get("/api/v1/errands", headers=token_headers),
        )
        rows.append(("signed-in API call: `GET /api/v1/errands`", *api))
        page = compare(
            args.rounds,
            lambda: made["with"][1].get("/privacy/"),
            lambda: made["without"][1].get("/privacy/"),
        )
        rows.append(("page, page counting accepted: `GET /privacy/`", *page))
        refused = compare(
            args.rounds,
            lambda: made["with"][2].get("/privacy/"),
            lambda: made["without"][2].get("/privacy/"),
        )
        rows.append(("page, page counting refused: `GET /privacy/`", *refused))
        first, second, truncated, deleted = retention(args.rows)

        print(
            f"Machine: {platform.machine()}, Python {platform.python_version()}, "
            f"Django {django.get_version()}, {connection.vendor}; medians of {args.rounds}."
        )
        print()
        print("| path | with privacy middleware | without | adds |")
        print("|---|---:|---:|---:|")
        for name, with_ms, without_ms in rows:
            extra = with_ms - without_ms
            print(
                f"| {name} | {with_ms:.3f} ms | {without_ms:.3f} ms | "
                f"{extra:+.3f} ms ({extra / without_ms:+.1%}) |"
            )
        print()
        print(
            f"Retention job on {args.rows:,} records ({truncated:,} shortened, "
            f"{deleted:,} deleted): {first:.0f} ms; run again: {second:.1f} ms."
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
