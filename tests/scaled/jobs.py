"""A probe job for tests/scaled: records each run of each job, so the test can count them.

It lives with the tests, not in the product: the workers of the scaled shape import it
because they run from the repository root (PYTHONPATH).
"""

from __future__ import annotations

import os
import time

from django_tasks import task


@task()
def record_run(job: int, path: str) -> None:
    # One append per run, atomic for short lines (O_APPEND): two workers never interleave.
    time.sleep(0.05)  # long enough that both workers get a share of a batch
    line = f"{job} {os.getpid()}\n".encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
