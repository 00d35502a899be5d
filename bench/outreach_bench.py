"""A newsletter to 10,000 people, sent to a real SMTP server on loopback (docs/performance.md,
"Outreach").

    .venv/bin/python bench/outreach_bench.py [--recipients N] [--database-url URL]

A scratch database (as bench/vault_bench.py) with the demo, plus N customers who confirmed
the newsletter consent, inserted in bulk (benchmark set-up only: bypassing the double opt-in
actions keeps it to seconds). An aiosmtpd server on 127.0.0.1 counts what it receives. Then
the real path: `do_create_campaign`, `do_start_campaign` (the audience fixed, one delivery
row each) and the batch job `run_batch` run until done, in this one process — time from
start to the last message accepted by the server, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from vault_bench import setup  # noqa: E402 - the same scratch database and demo


class Counter:
    """An aiosmtpd handler that counts messages and their recipients, keeping nothing."""

    def __init__(self) -> None:
        self.messages = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages += 1
        return "250 OK"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    scratch, demo = setup(args.database_url)
    try:
        from aiosmtpd.controller import Controller
        from django.conf import settings
        from django.db import connection

        from hisho.accounts.models import Role, User
        from hisho.accounts.principal import Principal
        from hisho.outreach.actions import do_create_campaign, do_start_campaign
        from hisho.outreach.tasks import run_batch
        from hisho.privacy.models import ConsentHow, ConsentRecord
        from hisho.privacy.policy import current_policy

        counter = Counter()
        with socket.socket() as probe:  # a free port on loopback
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(counter, hostname="127.0.0.1", port=port)
        controller.start()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

        started = time.perf_counter()
        users = User.objects.bulk_create(
            (
                User(
                    email=f"reader{i}@example.com",
                    role=Role.CUSTOMER,
                    language="ja" if i % 3 == 0 else "en",
                )
                for i in range(args.recipients)
            ),
            batch_size=5000,
        )
        ids = list(User.objects.filter(email__startswith="reader").values_list("pk", flat=True))
        fingerprint = current_policy().purpose_fingerprint("newsletters")
        ConsentRecord.objects.bulk_create(
            (
                ConsentRecord(
                    user_id=pk,
                    purpose="newsletters",
                    granted=True,
                    how=ConsentHow.EMAIL_LINK,
                    fingerprint=fingerprint,
                )
                for pk in ids
            ),
            batch_size=5000,
        )
        loaded = time.perf_counter() - started
        del users
        memory_before = peak_mib()

        admin = Principal.acting_as(demo.people["admin"])
        campaign = do_create_campaign(
            actor=admin,
            kind="newsletter",
            subject={"en": "Spring news", "ja": "春のお知らせ"},
            body={"en": "Cherry blossoms and new opening hours.", "ja": "桜と新しい営業時間。"},
            questions=None,
        )
        t0 = time.perf_counter()
        campaign = do_start_campaign(actor=None, campaign=campaign)
        fixed = time.perf_counter() - t0
        batches = 0
        while run_batch(str(campaign.pk), campaign.attempt):
            batches += 1
        run_batch(str(campaign.pk), campaign.attempt)  # settles and marks it sent
        elapsed = time.perf_counter() - t0
        deadline = time.monotonic() + 30
        while counter.messages < args.recipients and time.monotonic() < deadline:
            time.sleep(0.05)
        controller.stop()

        campaign.refresh_from_db()
        print(
            f"recipients: {args.recipients} (inserted in {loaded:.1f} s), status: {campaign.status}"
        )
        print(
            f"machine: {platform.machine()}, Python {platform.python_version()}, "
            f"{connection.vendor}, batch {settings.HISHO_OUTREACH_BATCH}"
        )
        print()
        print("| what | figure |")
        print("|---|---:|")
        print(f"| messages accepted by the loopback SMTP server | {counter.messages} |")
        print(f"| audience fixed (delivery rows) | {fixed:.2f} s |")
        print(f"| whole send, start to last message | {elapsed:.1f} s |")
        print(f"| messages per second | {counter.messages / elapsed:.0f} |")
        print(f"| batches | {batches} |")
        print(
            f"| peak memory of the process (before the send → after) | "
            f"{memory_before:.0f} → {peak_mib():.0f} MiB |"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
