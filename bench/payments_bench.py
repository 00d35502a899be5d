"""What payments cost: webhooks verified and applied per second, and the added latency
of a payment request on the message path.

    .venv/bin/python bench/payments_bench.py [--database-url URL] [--webhooks N] [--rounds N]

Runs in one process on a scratch database (bench/vault_bench.py's setup: a temporary
SQLite file unless --database-url names an empty database), loads the demo, and measures:

- N sandbox checkouts paid by webhook: each a `checkout.session.completed` event signed
  as Stripe signs it, POSTed to /webhooks/payments/sandbox through Django's full stack
  (DLP scrub, `stripe.Webhook.construct_event`, checks, ledger row, audit event, status
  change), then the same N again (duplicates: verified, found applied, nothing changed);
- kenji's `POST /api/v1/errands/{id}/payment-requests` (which also posts its chat
  message) against a plain `POST …/messages` of the same length, interleaved.

Prints a markdown table (docs/performance.md, "Payments").
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from vault_bench import setup  # noqa: E402 - the same scratch database and demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--webhooks", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    scratch, demo = setup(args.database_url)
    try:
        import django
        from django.db import connection
        from django.test import Client

        from hisho.payments.actions import do_create_payment_request, do_start_checkout
        from hisho.payments.providers.sandbox import SandboxProvider
        from tests.conftest import sign_in
        from tests.payments.conftest import session_event, stripe_signature

        kenji, alice = demo.people["kenji"], demo.people["alice"]
        errand = demo.alice_errand
        secret = SandboxProvider().webhook_secret()
        bodies = []
        for n in range(args.webhooks):
            payment = do_create_payment_request(
                actor=kenji, errand=errand, amount=1000 + n, currency="JPY", description="x"
            )
            checkout = do_start_checkout(actor=alice, payment=payment, site="http://testserver")
            bodies.append(
                session_event(
                    "checkout.session.completed",
                    session_id=checkout.session_id,
                    payment_id=str(payment.pk),
                    amount=1000 + n,
                )
            )
        client = Client()

        def deliver_all() -> float:
            start = time.perf_counter()
            for body in bodies:
                response = client.post(
                    "/webhooks/payments/sandbox",
                    body,
                    content_type="application/json",
                    headers={"Stripe-Signature": stripe_signature(body, secret)},
                )
                assert response.status_code == 200, response.content
            return len(bodies) / (time.perf_counter() - start)

        applied = deliver_all()
        duplicates = deliver_all()

        token = sign_in("kenji")
        api = Client(headers={"X-Session-Token": token})
        base = f"/api/v1/errands/{errand.pk}"
        description = "Deposit for the restaurant on Friday"
        request_body = json.dumps({"amount": 5000, "currency": "JPY", "description": description})
        message_body = json.dumps({"body": f"Payment request: ¥5,000 (JPY) — {description}"})

        def timed(path: str, body: str) -> float:
            start = time.perf_counter()
            response = api.post(path, body, content_type="application/json")
            assert response.status_code == 201, response.content
            return (time.perf_counter() - start) * 1000

        requests_ms: list[float] = []
        messages_ms: list[float] = []
        for _ in range(5):
            timed(f"{base}/payment-requests", request_body)
            timed(f"{base}/messages", message_body)
        for _ in range(args.rounds // 5):
            requests_ms += [timed(f"{base}/payment-requests", request_body) for _ in range(5)]
            messages_ms += [timed(f"{base}/messages", message_body) for _ in range(5)]
        request_ms = statistics.median(requests_ms)
        message_ms = statistics.median(messages_ms)

        print(
            f"Machine: {platform.machine()}, Python {platform.python_version()}, "
            f"Django {django.get_version()}, {connection.vendor}; one process."
        )
        print()
        print("| what | figure |")
        print("|---|---:|")
        print(f"| webhooks verified and applied ({args.webhooks}) | {applied:.0f} /s |")
        print(f"| the same webhooks again (duplicates, nothing changes) | {duplicates:.0f} /s |")
        print(f"| `POST …/messages` (median of {args.rounds}) | {message_ms:.2f} ms |")
        print(
            f"| `POST …/payment-requests` incl. its chat message (median of {args.rounds}) "
            f"| {request_ms:.2f} ms |"
        )
        print(f"| added by a payment request | {request_ms - message_ms:+.2f} ms |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
