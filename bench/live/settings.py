"""Hisho's settings plus one bench-only route (bench/live/urls.py): the plain view the
message post is compared with. Used only by the app processes bench/live_bench.py starts."""

from hisho.settings import *  # noqa: F403

ROOT_URLCONF = "bench.live.urls"

# Bench-only switches for single steps of the message path (bench/live/apps.py).
INSTALLED_APPS = [*INSTALLED_APPS, "bench.live.apps.BenchLiveConfig"]  # noqa: F405
