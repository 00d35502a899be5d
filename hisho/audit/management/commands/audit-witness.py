"""`hisho audit-witness URL`: fetch the audit log's latest signed tree head from the Hisho
site at URL, check its signature and that it extends the last head this witness
accepted (a consistency proof), and remember it. Run it from another machine,
periodically (docs/audit.md §6).

Exit 0 when accepted; 1 (REJECTED) when the head is not acceptable — the log misbehaved
(shrank, forked, rewrote its history, will not prove a head it signed), or a key this
witness does not know signed it; 2 (COULD NOT CHECK) when the witness got nothing it could
judge: the site unreachable or silent, an error instead of a head, an answer that is not
what the protocol sends, an unreadable state file, a bad argument. The state file changes
on 0 only.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hisho.audit.note import NoteError
from hisho.audit.witness import CouldNotCheck, Outcome, Rejected, Witness

REJECTED = 1  # what it always was
COULD_NOT_CHECK = 2  # also argparse's status for a bad command line
T = TypeVar("T")
MAX_ANSWER = 1 << 20  # a checkpoint, a proof or a key set is a few kilobytes


def why(exc: BaseException, timeout: float) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def read_answer(response: http.client.HTTPResponse, where: str, deadline: float) -> bytes:
    """The body, within the deadline and MAX_ANSWER: a site that drips an endless answer
    must not hold the witness (the socket's timeout only bounds each read)."""
    chunks, size = [], 0
    while chunk := response.read1(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER:
            raise CouldNotCheck(f"{where}: an answer larger than {MAX_ANSWER} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError
    return b"".join(chunks)


def within(seconds: float, work: Callable[[], T]) -> T:
    """`work()`, or TimeoutError once `seconds` have passed. The socket's timeout bounds
    each read only, and http.client reads the status line and headers a line at a time:
    a site dripping its headers a byte at a time held the witness for as long as it
    liked. The work runs in a daemon thread, which the command's exit ends."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the caller, as if raised there
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="audit-witness-fetch", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def site_url(url: str) -> str:
    """The site's base URL, checked: http(s), a host, no port that is not a number."""
    try:
        parts = urlsplit(url.rstrip("/"))
        port_ok = parts.port != 0
    except ValueError:  # "http://[" (no URL), or a port that is not a number in 0–65535
        raise CouldNotCheck("URL must be http(s)://host[:port]") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise CouldNotCheck("URL must be http(s)://host[:port]")
    return parts.geturl()


class HttpRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """urllib follows a redirect to ftp:// too (and then fails on an FTP answer), to
    another host and from https to http; the witness follows a redirect only within the
    site it was asked to watch, never downgrading. A site that sends its witnesses
    elsewhere — to an address inside the witness's own network, say — is not followed."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        here = urlsplit(req.full_url)
        try:
            there = urlsplit(newurl)
            same_site = (there.hostname, there.port) == (here.hostname, here.port)
        except ValueError:
            there, same_site = urlsplit(""), False
        if there.scheme not in ("http", "https"):
            raise CouldNotCheck(f"{req.full_url}: redirected to something that is not http(s)")
        if not same_site or (here.scheme == "https" and there.scheme != "https"):
            raise CouldNotCheck(f"{req.full_url}: redirected away from the site (not followed)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Command(BaseCommand):
    help = "Check the audit log's latest signed tree head against the last one seen."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the Hisho site, e.g. https://hisho.example")
        parser.add_argument(
            "--state", help="state file (default: $HISHO_VAR_DIR/audit-witness/<host>.json)"
        )
        parser.add_argument(
            "--key", action="append", default=[], help="a verifier key (<name>+<hash>+<key>)"
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=10.0,
            help="seconds to wait for each answer of the site (default 10)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome, state = self.observe(options)
        except Rejected as exc:
            raise CommandError(f"REJECTED: {exc}", returncode=REJECTED) from None
        except CouldNotCheck as exc:
            raise CommandError(f"COULD NOT CHECK: {exc}", returncode=COULD_NOT_CHECK) from None
        if outcome.pinned_keys:
            self.stdout.write(
                f"First use: pinned {outcome.pinned_keys} signing key(s) from the site; "
                f"compare them out of band (state: {state})."
            )
        if outcome.previous is None:
            self.stdout.write(f"OK: first signed tree head, {outcome.size} entries.")
        else:
            self.stdout.write(
                f"OK: {outcome.size} entries, consistent with the {outcome.previous} seen before."
            )

    def observe(self, options: dict[str, Any]) -> tuple[Outcome, Path]:
        base = site_url(options["url"])
        timeout = options["timeout"]
        if not 0 < timeout <= 600:
            raise CouldNotCheck("--timeout must be more than 0 and at most 600 seconds")
        # By default in the service's var directory (HISHO_VAR_DIR), not in a `var` of the
        # working directory: run from another directory (cron, a timer), the witness found
        # no state there, pinned the site's keys afresh and accepted whatever it served.
        default = (
            settings.VAR_DIR / "audit-witness" / f"{urlsplit(base).netloc.replace(':', '_')}.json"
        )
        state = Path(options["state"] or default)

        opener = urllib.request.build_opener(HttpRedirectsOnly)

        def fetch_once(path: str) -> tuple[int, bytes]:
            where, deadline = base + path.split("?")[0], time.monotonic() + timeout
            try:
                with opener.open(base + path, timeout=timeout) as response:
                    return int(response.status), read_answer(response, where, deadline)
            except urllib.error.HTTPError as exc:
                exc.close()
                return int(exc.code), b""
            except (OSError, http.client.HTTPException) as exc:
                # URLError (refused, no such host, TLS), timeouts, a connection cut short.
                raise CouldNotCheck(f"{where}: {why(exc, timeout)}") from None
            except ValueError:  # a redirect to a Location that is no URL ("http://[")
                raise CouldNotCheck(f"{where}: redirected to something that is no URL") from None

        def fetch(path: str) -> tuple[int, bytes]:
            try:
                return within(timeout, lambda: fetch_once(path))
            except TimeoutError:
                where = base + path.split("?")[0]
                raise CouldNotCheck(f"{where}: no answer within {timeout:g} s") from None

        try:
            witness = Witness(state, fetch, options["key"])
        except NoteError as exc:
            raise CouldNotCheck(f"--key: {exc}") from None
        return witness.observe(), state
