"""What sealing costs: the vault's paths measured against the same paths storing plaintext.

    .venv/bin/python bench/vault_bench.py [--database-url URL] [--rounds N]

Runs in one process on a scratch database (a temporary SQLite file unless
--database-url names an empty database to use) with its own temporary keyring, loads
the demo, and measures, each with sealing on and off, interleaved in small blocks:

- sealing and unsealing one 1 KB message (the vault functions, and raw AES-GCM);
- posting a 1 KB message end to end (POST /api/v1/errands/{id}/messages, signed in
  with an app token, through Django's full request stack);
- rendering a 100-message chat history for the assigned assistant: the errand page
  (/errands/{id}/) and the API (GET …/messages?limit=100).

"Sealing off" swaps the vault's two crypto steps (`seal`, and `_open` behind `unseal`)
for UTF-8 encode/decode, in this process only: the access policy, the access log and
everything else still run, so the difference is exactly the cost of keys and
encryption. Prints a markdown table (docs/performance.md, "Vault").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KB_MESSAGE = ("Could you call the restaurant again and ask about the step-free entrance? " * 14)[
    :1024
]
CHAT_LINES = [
    "Hello! I'm on it and will call two places this afternoon.",
    "Thank you. Friday at 19:00 if possible, four people, one wheelchair user.",
    "The first place is full on Friday; the second can seat you at 19:30 near the entrance. "
    "Their menu has three vegetarian courses and the staff speak some English.",
    "19:30 is fine. Could you ask whether they take cards?",
]


def setup(database_url: str | None) -> tuple[Path, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="hisho-vault-bench-"))
    for name in list(os.environ):
        if name.startswith("HISHO_"):
            del os.environ[name]
    os.environ["HISHO_VAR_DIR"] = str(scratch)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hisho.settings"
    os.environ["HISHO_LOG_LEVEL"] = "WARNING"
    os.environ["HISHO_ALLOWED_HOSTS"] = "testserver"  # Django's test client
    import django

    django.setup()
    from django.core.management import call_command

    from hisho.demo import load_demo

    call_command("migrate", verbosity=0)
    return scratch, load_demo()


@contextlib.contextmanager
def plaintext_storage() -> Iterator[None]:
    """Sealing off: the crypto steps become UTF-8 encode/decode (benchmark only)."""
    import hisho.accounts.actions
    import hisho.desk.content
    import hisho.vault.sealing as sealing

    def plain_seal(scope: Any, place: Any, text: str | None) -> bytes | None:
        return text.encode() if text else None

    def plain_open(scope: Any, place: Any, token: bytes, keys: Any) -> str:
        return token.decode()

    modules = (hisho.desk.content, hisho.accounts.actions, sealing)
    saved = [module.seal for module in modules], sealing._open
    for module in modules:
        module.seal = plain_seal
    sealing._open = plain_open
    try:
        yield
    finally:
        for module, original in zip(modules, saved[0], strict=True):
            module.seal = original
        sealing._open = saved[1]


def measure(
    sealed_run: Callable[[], Any], plain_run: Callable[[], Any] | None = None, *, rounds: int
) -> tuple[float, float]:
    """Median seconds per call (sealing on, sealing off), alternating blocks of 5 calls.
    `plain_run` is for paths that must read data written with sealing off."""
    plain_run = plain_run or sealed_run
    for _ in range(3):
        sealed_run()
        with plaintext_storage():
            plain_run()
    sealed: list[float] = []
    plain: list[float] = []
    while len(sealed) < rounds:
        for _ in range(5):
            start = time.perf_counter()
            sealed_run()
            sealed.append(time.perf_counter() - start)
        with plaintext_storage():
            for _ in range(5):
                start = time.perf_counter()
                plain_run()
                plain.append(time.perf_counter() - start)
    return statistics.median(sealed), statistics.median(plain)


def per_call(run: Callable[[], Any], calls: int) -> float:
    """Median seconds of one call."""
    timings = []
    for _ in range(calls):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def chat_errand(demo: Any, *, sealed: bool, size: int = 100) -> Any:
    """A new errand of alice's, assigned to kenji, with `size` messages in the given mode."""
    from hisho.desk.actions import do_assign_errand, do_create_errand, do_post_message

    alice, kenji = demo.people["alice"], demo.people["kenji"]
    with contextlib.nullcontext() if sealed else plaintext_storage():
        errand = do_create_errand(
            actor=alice,
            title="Book a table for 4 on Friday",
            details="Vegetarian options, step-free entrance.",
            phone="090-1234-5678",
            address="1-2-3 Jingumae, Shibuya-ku",
        )
        errand = do_assign_errand(actor=demo.people["admin"], errand=errand, assistant_id=kenji.pk)
        for n in range(size):
            author = alice if n % 2 else kenji
            do_post_message(actor=author, errand=errand, body=CHAT_LINES[n % len(CHAT_LINES)])
    return errand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty scratch database (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=200, help="timed calls per mode and case")
    options = parser.parse_args()
    scratch, demo = setup(options.database_url)
    try:
        rows = run_cases(demo, options.rounds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_table(rows, options)


def run_cases(demo: Any, rounds: int) -> list[tuple[str, float, float, str]]:
    import json

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.test import Client

    from hisho.desk.content import errand_scope, message_place, read_messages
    from hisho.vault import crypto, sealing
    from hisho.vault.actions import do_log_staff_access
    from hisho.vault.models import AccessAction
    from hisho.vault.policy import unseal_role

    alice, kenji = demo.people["alice"], demo.people["kenji"]
    errand = demo.alice_errand
    scope, place = errand_scope(errand), message_place(errand.messages.first().seal_id)
    rows: list[tuple[str, float, float, str]] = []

    # For scale: raw AES-GCM, and the two things every staff read does besides decrypting.
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    cell = crypto.Cell("desk_message", "x", "body", 1)
    key_id = uuid.uuid4()
    rows.append(
        (
            "AES-256-GCM seal + open, 1 KB (crypto only)",
            per_call(
                lambda: crypto.open_value(
                    aead, crypto.seal_value(aead, key_id, cell, KB_MESSAGE), cell
                ),
                rounds * 10,
            ),
            0.0,
            "",
        )
    )
    rows.append(
        (
            "access policy re-read from the database (each `unseal` call)",
            per_call(lambda: unseal_role(kenji, errand.customer_id, errand.pk), rounds),
            0.0,
            "",
        )
    )
    rows.append(
        (
            "access-log entry (each staff `unseal` call)",
            per_call(
                lambda: do_log_staff_access(
                    actor=kenji,
                    customer_id=errand.customer_id,
                    errand_id=errand.pk,
                    action=AccessAction.READ_MESSAGES,
                ),
                rounds,
            ),
            0.0,
            "",
        )
    )

    def seal_unseal() -> None:
        token = sealing.seal(scope, place, KB_MESSAGE)
        sealing.unseal(alice, scope, [(place, token)], action=AccessAction.READ_MESSAGES)

    rows.append(
        (
            "vault `seal` + `unseal`, 1 KB (owner, warm key cache)",
            *measure(seal_unseal, rounds=rounds),
            "",
        )
    )

    # Posting end to end through the API, signed in with an app token.
    login = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": "alice@example.com", "password": "hisho-demo-2026"}),
        content_type="application/json",
    )
    token = login.json()["meta"]["session_token"]
    api = Client(headers={"X-Session-Token": token})
    body = json.dumps({"body": KB_MESSAGE})

    def post() -> None:
        response = api.post(
            f"/api/v1/errands/{errand.pk}/messages", body, content_type="application/json"
        )
        assert response.status_code == 201, response.content

    rows.append(
        (
            "post a 1 KB message: `POST /api/v1/errands/{id}/messages`",
            *measure(post, rounds=rounds),
            "< 10%",
        )
    )

    # A 100-message history, rendered for the assigned assistant.
    sealed_errand, plain_errand = chat_errand(demo, sealed=True), chat_errand(demo, sealed=False)
    page = Client()
    page.force_login(kenji)

    def render(errand_id: Any) -> Callable[[], None]:
        def run() -> None:
            response = page.get(f"/errands/{errand_id}/")
            assert response.status_code == 200 and response.content.count(b'class="who"') == 100

        return run

    rows.append(
        (
            "render the errand page with 100 messages, for the assignee",
            *measure(render(sealed_errand.pk), render(plain_errand.pk), rounds=rounds),
            "< 20%",
        )
    )

    kenji_login = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": "kenji@example.com", "password": "hisho-demo-2026"}),
        content_type="application/json",
    )
    kenji_api = Client(headers={"X-Session-Token": kenji_login.json()["meta"]["session_token"]})

    def history(errand_id: Any) -> Callable[[], None]:
        def run() -> None:
            response = kenji_api.get(f"/api/v1/errands/{errand_id}/messages?limit=100")
            assert response.status_code == 200 and len(response.json()["items"]) == 100

        return run

    rows.append(
        (
            "`GET /api/v1/errands/{id}/messages?limit=100`, for the assignee",
            *measure(history(sealed_errand.pk), history(plain_errand.pk), rounds=rounds),
            "< 20%",
        )
    )

    def content(errand_: Any) -> Callable[[], None]:
        def run() -> None:
            assert len(read_messages(kenji, errand_, limit=100)) == 100

        return run

    rows.append(
        (
            "`read_messages` (content function), 100 messages, for the assignee",
            *measure(content(sealed_errand), content(plain_errand), rounds=rounds),
            "",
        )
    )

    # Cold key cache: every render has to fetch and unwrap the customer and data keys.
    from hisho.vault.keys import store

    def cold() -> None:
        store().cache.clear()
        render(sealed_errand.pk)()

    cold_sealed, plain_page = measure(cold, render(plain_errand.pk), rounds=rounds // 2)
    rows.append(("same page, key cache cleared before every render", cold_sealed, plain_page, ""))
    return rows


def print_table(rows: list[tuple[str, float, float, str]], options: Any) -> None:
    import cryptography
    import django
    from django.db import connection

    engine = connection.vendor
    if engine == "sqlite":
        import sqlite3

        engine = f"SQLite {sqlite3.sqlite_version}"
    else:
        engine = f"PostgreSQL {connection.pg_version // 10000}"
    command = " ".join(["bench/vault_bench.py", *sys.argv[1:]])
    print(
        f"`.venv/bin/python {command}` · {os.cpu_count()} CPUs (nproc), "
        f"{platform.machine()} · Python {platform.python_version()} · "
        f"Django {django.get_version()} · cryptography {cryptography.__version__} · {engine} · "
        f"medians of {options.rounds} calls per mode, interleaved\n"
    )
    print("| path | sealed | plaintext | sealing adds | target |")
    print("|---|---:|---:|---:|---|")
    for name, sealed, plain, target in rows:
        if plain:
            added = (sealed - plain) / plain * 100
            verdict = (
                f"{target} ({'met' if added < float(target[2:-1]) else 'NOT met'})"
                if target
                else ""
            )
            print(
                f"| {name} | {sealed * 1000:.3f} ms | {plain * 1000:.3f} ms | "
                f"{added:+.1f}% | {verdict} |"
            )
        else:
            print(f"| {name} | {sealed * 1e6:.1f} µs | — | — | |")


if __name__ == "__main__":
    main()
