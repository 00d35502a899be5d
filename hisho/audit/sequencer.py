"""The sequencer: folds committed audit entries into the Merkle tree and signs a tree
head, at least once a second while entries arrive (docs/audit.md §3).

It runs inside every job worker (`hisho db_worker`, hisho/audit/management/commands/
db_worker.py) and standalone as `hisho audit-sequencer`. In the scaled shape exactly one
sequences at a time: each holds a session-level PostgreSQL advisory lock on a connection
of its own while it leads; the others try for it every `interval` and take over within
one interval of the leader's process dying (its connection closes, the lock goes with
it). Each integration also takes a transaction-level advisory lock, so even two leaders
(a network partition, an operator's `hisho audit-checkpoint`) cannot overlap. SQLite
(embedded) has one worker; its write transactions are exclusive anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import close_old_connections, connection

from hisho.audit import tree

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 0.25
# Between rounds: at least this long (0, a negative or NaN made it spin on the database at
# full CPU), at most an hour (the documented window is "at least once a second").
INTERVAL_MIN, INTERVAL_MAX = 0.01, 3600.0


def interval_argument(text: str) -> float:
    """`--interval` / `--audit-interval`: seconds between the sequencer's rounds."""
    import argparse
    import math

    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(seconds) or not INTERVAL_MIN <= seconds <= INTERVAL_MAX:
        raise argparse.ArgumentTypeError(
            f"seconds between rounds must lie between {INTERVAL_MIN} and {INTERVAL_MAX:g}"
        )
    return seconds


class Leadership:
    """The advisory lock that elects the sequencer (PostgreSQL), on its own connection:
    Django's connections may be pooled, and a pooled session would keep the lock."""

    def __init__(self) -> None:
        self._conn: Any = None

    def try_acquire(self) -> bool:
        if connection.vendor != "postgresql":
            return True
        if self._conn is None:
            import psycopg

            s = connection.settings_dict
            self._conn = psycopg.connect(
                dbname=s["NAME"],
                user=s.get("USER") or None,
                password=s.get("PASSWORD") or None,
                host=s.get("HOST") or None,
                port=str(s.get("PORT") or "") or None,
                autocommit=True,
                application_name="hisho-audit-sequencer",
            )
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [tree.LOCK_CLASS, tree.LOCK_SEQUENCER]
        ).fetchone()
        return bool(row and row[0])

    def still_held(self) -> bool:
        if connection.vendor != "postgresql":
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except Exception:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


class Sequencer:
    def __init__(self, *, interval: float = DEFAULT_INTERVAL, batch: int = tree.BATCH) -> None:
        self.interval = interval
        self.batch = batch
        self.stopped = threading.Event()
        self.leading = threading.Event()
        self.leadership = Leadership()
        # The head this sequencer last signed: every later one must extend it, so a
        # database whose newer heads were deleted and leaves rewritten is not re-signed.
        self.anchor: tree.Anchor | None = None
        self.refused = ""

    def step(self) -> int:
        """Integrate everything pending; the number of heads signed."""
        signed = 0
        while not self.stopped.is_set():
            try:
                head = tree.integrate_pending(limit=self.batch, anchor=self.anchor)
            except tree.TreeMismatch as mismatch:
                # Said once per finding, not four times a second; entries wait, unsigned,
                # and `hisho audit-verify` names them.
                if str(mismatch) != self.refused:
                    log.error("audit sequencer: not signing: %s", mismatch)
                    self.refused = str(mismatch)
                break
            self.refused = ""
            if head is None:
                break
            self.anchor = (head.size, head.root_hash)
            signed += 1
        return signed

    def run(self) -> None:
        log.info("audit sequencer started")
        while not self.stopped.is_set():
            try:
                if not self.leading.is_set():
                    if not self.leadership.try_acquire():
                        self.stopped.wait(self.interval)
                        continue
                    self.leading.set()
                    log.info("audit sequencer: leading")
                if not self.leadership.still_held():
                    self.leading.clear()
                    continue
                self.step()
            except Exception:
                log.exception("audit sequencer step failed; retrying")
                self.leading.clear()
                self.leadership.release()
                close_old_connections()
                connection.close()
            self.stopped.wait(self.interval)
        self.leadership.release()
        self.leading.clear()

    def stop(self) -> None:
        self.stopped.set()


def start_in_thread(*, interval: float = DEFAULT_INTERVAL) -> Sequencer:
    """The sequencer as a daemon thread of this process (the job worker's)."""
    sequencer = Sequencer(interval=interval)

    def run() -> None:
        try:
            sequencer.run()
        finally:
            connection.close()

    threading.Thread(target=run, name="audit-sequencer", daemon=True).start()
    time.sleep(0)  # let it start
    return sequencer
