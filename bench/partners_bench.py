"""How long a partner release takes over many customers (docs/performance.md, "Partners").

    .venv/bin/python bench/partners_bench.py [--customers N] [--rounds R] [--database-url URL]

A scratch database (as bench/vault_bench.py) with the demo, plus N customers inserted in
bulk (benchmark set-up only: bypassing the sign-up action keeps it to seconds), each with
a country, language and birth year drawn from small sets. Then, R times, the whole
`do_release_report("customers_by_profile", ε=0.5)` action — read, OpenDP counts, signing,
storing the release and one contribution row per person counted, audit event — and,
separately, the OpenDP step alone. Releases are deleted between rounds so the monthly
budget never runs out. One process, one thread.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from vault_bench import setup  # noqa: E402 - the same scratch database and demo

COUNTRIES = ["JP", "US", "GB", "FR", "DE", "CN", "KR", "TW", "AU", "CA"]
LANGUAGES = ["en", "ja", "zh", "ko", "fr", "de"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    scratch, demo = setup(args.database_url)
    try:
        from importlib.metadata import version

        from django.db import connection

        from hisho.accounts.models import Role, User
        from hisho.partners.actions import do_release_report
        from hisho.partners.dp import private_counts
        from hisho.partners.models import Release, ReleaseContribution
        from hisho.partners.reports import customer_profile
        from hisho.privacy.policy import current_policy

        rng = random.Random()
        started = time.perf_counter()
        User.objects.bulk_create(
            (
                User(
                    email=f"bench{i}@example.com",
                    role=Role.CUSTOMER,
                    country=rng.choice(COUNTRIES),
                    language=rng.choice(LANGUAGES),
                    birth_year=rng.randint(1945, 2006),
                )
                for i in range(args.customers)
            ),
            batch_size=5000,
        )
        loaded = time.perf_counter() - started
        partner = demo.people["partner"]
        declared = current_policy().partner_reports.reports["customers_by_profile"]
        delta = current_policy().partner_reports.delta

        whole, dp_only, groups = [], [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            release = do_release_report(actor=partner, report="customers_by_profile", epsilon=0.5)
            whole.append(time.perf_counter() - t0)
            groups.append(len(release.signed["payload"]["rows"]))
            counted = ReleaseContribution.objects.filter(release=release).count()
            Release.objects.all().delete()
            contributions = customer_profile(partner)
            t0 = time.perf_counter()
            private_counts(
                contributions,
                epsilon=0.5,
                delta=delta,
                min_group_size=declared.min_group_size,
                max_contributions=declared.max_contributions,
            )
            dp_only.append(time.perf_counter() - t0)

        print(f"customers: {args.customers} (inserted in {loaded:.1f} s), counted: {counted}")
        print(
            f"machine: {platform.machine()}, Python {platform.python_version()}, "
            f"OpenDP {version('opendp')}, {connection.vendor}"
        )
        print()
        print("| step | median | min | max |")
        print("|---|---:|---:|---:|")
        for name, times in (
            ("whole release action (read, OpenDP, sign, store, contributions, audit)", whole),
            ("OpenDP step alone (bound, count, drop small groups, thresholded noise)", dp_only),
        ):
            print(
                f"| {name} | {statistics.median(times):.3f} s | {min(times):.3f} s | "
                f"{max(times):.3f} s |"
            )
        print(f"\ngroups released per run: {groups}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
