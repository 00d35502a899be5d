"""What sealing costs a file: uploading and downloading a 10 MB attachment, sealed and not.

    .venv/bin/python bench/attachments_bench.py [--rounds N] [--megabytes M]

Runs in one process on a scratch SQLite database and attachments directory (its own
keyring), loads the demo, and measures through Django's full request stack, signed in
with app tokens:

- `POST /api/v1/errands/{id}/attachments` of an M MB voice note (Ogg/Opus header, random
  payload: voice notes are kept as sent, so the bench measures storage and sealing rather
  than image re-encoding), by the customer;
- `GET /api/v1/errands/{id}/attachments/{id}` of it, streamed to the end, by the
  assistant (a staff read: the access log is written in both modes).

"Unsealed" is the same code and the same storage with the vault's two file steps
(`seal_file`, `open_file`) replaced by passing the bytes through, in this process only:
screening, the access policy, the access log and the storage still run, so the ratio is
exactly the cost of chunked AES-256-GCM. Medians of N calls per mode, interleaved.
Prints a markdown table (docs/performance.md, "Attachments").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OGG_HEAD = (
    b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
)


def setup() -> tuple[Path, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="hisho-attachments-bench-"))
    for name in list(os.environ):
        if name.startswith("HISHO_"):
            del os.environ[name]
    os.environ["HISHO_VAR_DIR"] = str(scratch)
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
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
def unsealed() -> Iterator[None]:
    """The vault's file steps pass bytes through (benchmark only)."""
    import hisho.attachments.access as access
    import hisho.attachments.actions as actions

    def plain_seal(scope: Any, place: Any, source: Iterable[bytes]) -> Iterator[bytes]:
        yield from source

    def plain_open(reader: Any, scope: Any, place: Any, stream: IO[bytes]) -> Iterator[bytes]:
        from hisho.vault.policy import unseal_role

        unseal_role(reader, scope.customer_id, scope.errand_id)
        return iter(lambda: stream.read(256 * 1024), b"")

    saved = actions.seal_file, access.open_file
    actions.seal_file, access.open_file = plain_seal, plain_open  # type: ignore[assignment]
    try:
        yield
    finally:
        actions.seal_file, access.open_file = saved  # type: ignore[assignment]


def sign_in(email: str) -> Any:
    from django.test import Client

    login = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": email, "password": "hisho-demo-2026"}),
        content_type="application/json",
    )
    token = login.json()["meta"]["session_token"]
    if login.status_code == 401:  # staff: the second factor (the demo's TOTP secret)
        from hisho.accounts.mfa import current_totp_code
        from hisho.demo import DEMO_TOTP_SECRET

        second = Client().post(
            "/_allauth/app/v1/auth/2fa/authenticate",
            json.dumps({"code": current_totp_code(DEMO_TOTP_SECRET)}),
            content_type="application/json",
            headers={"X-Session-Token": token},
        )
        token = second.json()["meta"]["session_token"]
    return Client(headers={"X-Session-Token": token})


def measure(runs: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median seconds per call of each mode, alternating one call of each."""
    timings: dict[str, list[float]] = {mode: [] for mode in runs}
    for mode, run in runs.items():  # warm-up
        with unsealed() if mode == "unsealed" else contextlib.nullcontext():
            run()
    for _ in range(rounds):
        for mode, run in runs.items():
            with unsealed() if mode == "unsealed" else contextlib.nullcontext():
                start = time.perf_counter()
                run()
                timings[mode].append(time.perf_counter() - start)
    return {mode: statistics.median(values) for mode, values in timings.items()}


def run_cases(demo: Any, rounds: int, megabytes: int) -> list[tuple[str, float, float]]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    errand = demo.alice_errand
    base = f"/api/v1/errands/{errand.pk}/attachments"
    alice, kenji = sign_in("alice@example.com"), sign_in("kenji@example.com")
    payload = OGG_HEAD + os.urandom(megabytes * 1024 * 1024 - len(OGG_HEAD))
    latest: dict[str, str] = {}

    def upload(mode: str) -> Callable[[], None]:
        def run() -> None:
            response = alice.post(base, {"file": SimpleUploadedFile("voice.ogg", payload)})
            assert response.status_code == 201, response.content
            latest[mode] = response.json()["id"]

        return run

    def download(mode: str) -> Callable[[], None]:
        def run() -> None:
            response = kenji.get(f"{base}/{latest[mode]}")
            assert response.status_code == 200, response.content
            assert sum(len(chunk) for chunk in response.streaming_content) == len(payload)

        return run

    up = measure({"sealed": upload("sealed"), "unsealed": upload("unsealed")}, rounds)
    down = measure({"sealed": download("sealed"), "unsealed": download("unsealed")}, rounds)
    return [
        (f"upload of a {megabytes} MB voice note (`POST …/attachments`)", *up.values()),
        ("download of it, to the last byte (`GET …/attachments/{id}`)", *down.values()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed calls per mode and case")
    parser.add_argument("--megabytes", type=int, default=10, help="size of the file")
    options = parser.parse_args()
    scratch, demo = setup()
    try:
        rows = run_cases(demo, options.rounds, options.megabytes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    import cryptography
    import django

    command = " ".join(["bench/attachments_bench.py", *sys.argv[1:]])
    print(
        f"`.venv/bin/python {command}` · {os.cpu_count()} CPUs (nproc), "
        f"{platform.machine()} · Python {platform.python_version()} · "
        f"Django {django.get_version()} · cryptography {cryptography.__version__} · "
        f"SQLite, files on local disk · medians of {options.rounds} calls per mode, "
        "interleaved\n"
    )
    print("| path | sealed | unsealed | sealed / unsealed |")
    print("|---|---:|---:|---:|")
    for name, sealed, plain in rows:
        ratio = sealed / plain
        print(f"| {name} | {sealed * 1000:.1f} ms | {plain * 1000:.1f} ms | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
