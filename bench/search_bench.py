"""Private search over a blind index: indexing throughput and search latency.

    .venv/bin/python bench/search_bench.py [--database-url URL] [--errands N]
        [--messages N] [--rounds N]

Runs in one process on a scratch database (as bench/vault_bench.py: a temporary SQLite
file unless --database-url names an empty database), loads the demo, and gives alice N
errands (default 100) assigned to kenji, with M messages between them (default 10,000),
each posted through `do_post_message` — DLP, sealing, the blind index, the audit event —
in English and Japanese from a fixed vocabulary. It measures:

- indexing: messages per second through the whole action, and through the index step
  alone (tokenising, Janome for Japanese, keyed digests, the insert);
- search latency (p50, p99) for the customer (alice, all N errands) and the assistant
  (kenji, the same N): `search_errands()` and `POST /api/v1/search` through Django's
  full stack, for a common word, a rare word, two words and a Japanese word.

Prints a markdown table (docs/performance.md, "Private search").
"""

from __future__ import annotations

import argparse
import json
import platform
import random
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

WORDS = (
    "book table dinner friday hotel train ticket station tokyo osaka kyoto landlord heater "
    "repair visa office parcel redelivery doctor appointment pharmacy phone contract bank "
    "account tax refund school meeting taxi airport luggage flight delay refund gift"
)
ENGLISH = WORDS.split(" ")
JAPANESE = [
    "東京駅で切符を買う",
    "ホテルの予約を変更したい",
    "大家さんに電話してください",
    "荷物の再配達をお願いします",
    "病院の予約は金曜日です",
]
RARE = "quokkaharbour"


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(JAPANESE)
    return " ".join(rng.choice(ENGLISH) for _ in range(rng.randint(6, 18)))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered), p99


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def build(demo: Any, errands: int, messages: int) -> tuple[float, int]:
    """Alice's errands and their chat; returns (seconds, messages posted)."""
    from django.db import transaction

    from hisho.desk.actions import do_assign_errand, do_create_errand, do_post_message

    rng = random.Random(18)
    alice, kenji, admin = (demo.people[h] for h in ("alice", "kenji", "admin"))
    made = []
    for n in range(errands):
        errand = do_create_errand(actor=alice, title=f"Errand {n}: {sentence(rng)}")
        made.append(do_assign_errand(actor=admin, errand=errand, assistant_id=kenji.pk))
    per_errand = messages // errands
    start = time.perf_counter()
    for n, errand in enumerate(made):
        with transaction.atomic():
            for m in range(per_errand):
                author = alice if m % 2 == 0 else kenji
                body = sentence(rng) + (f" {RARE}" if n == 7 and m == 3 else "")
                do_post_message(actor=author, errand=errand, body=body)
    return time.perf_counter() - start, per_errand * errands


def index_only(demo: Any, count: int) -> float:
    """Seconds to index `count` message texts into one errand (the index step alone)."""
    from django.db import transaction

    from hisho.desk.actions import do_create_errand
    from hisho.search.actions import do_index_errand_text

    rng = random.Random(5)
    alice = demo.people["alice"]
    errand = do_create_errand(actor=alice, title="Index step only")
    texts = [sentence(rng) for _ in range(count)]
    start = time.perf_counter()
    with transaction.atomic():  # as inside the action that posts a message
        for text in texts:
            do_index_errand_text(actor=alice, errand=errand, texts=[text])
    return time.perf_counter() - start


def measure(person: Any, q: str, rounds: int) -> tuple[int, float, float, float, float]:
    """(errands found, search p50, p99, API p50, p99) for one person and query."""
    from django.test import Client

    from hisho.search.access import search_errands
    from tests.conftest import sign_in
    from tests.principals import P

    principal = P(person)
    client = Client()
    headers = {"X-Session-Token": sign_in(person.email.split("@")[0])}
    body = json.dumps({"q": q})

    def direct() -> None:
        search_errands(principal, q)

    def api() -> None:
        response = client.post(
            "/api/v1/search", body, content_type="application/json", headers=headers
        )
        assert response.status_code == 200, response.content[:200]

    direct()
    api()
    over_direct = [timed(direct) for _ in range(rounds)]
    over_api = [timed(api) for _ in range(rounds)]
    found = len(search_errands(principal, q))
    return (found, *percentiles(over_direct), *percentiles(over_api))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--errands", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    scratch, demo = setup(args.database_url)
    try:
        import django
        from django.db import connection

        seconds, posted = build(demo, args.errands, args.messages)
        index_seconds = index_only(demo, 1000)
        from hisho.search.models import SearchToken

        tokens = SearchToken.objects.count()
        queries = {
            "common word": "tokyo",
            "rare word (1 errand)": RARE,
            "two words": "hotel refund",
            "Japanese word": "切符",
        }
        rows = []
        for handle in ("alice", "kenji"):
            for label, q in queries.items():
                rows.append((handle, label, *measure(demo.people[handle], q, args.rounds)))

        print(
            f"Private search: {posted} messages in {args.errands} errands, {tokens} index rows; "
            f"{connection.vendor}, Python {platform.python_version()}, Django {django.__version__}"
        )
        print()
        print("| indexing | messages/s |")
        print("|---|---:|")
        print(f"| `do_post_message` (DLP, seal, index, audit) | {posted / seconds:.0f} |")
        print(f"| the index step alone (tokens, digests, insert) | {1000 / index_seconds:.0f} |")
        print()
        print(
            "| who | query | errands found | search p50 ms | search p99 ms | "
            "API p50 ms | API p99 ms |"
        )
        print("|---|---|---:|---:|---:|---:|---:|")
        for handle, label, found, d50, d99, a50, a99 in rows:
            print(
                f"| {handle} | {label} | {found} | {d50:.2f} | {d99:.2f} | {a50:.2f} | {a99:.2f} |"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
