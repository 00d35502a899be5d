"""What someone searches for is never logged (issue 18 part 5): not by the application,
not in Django's request logs, not in the ASGI server's access log — whose request line
would show a query string, so search takes its words in a POST body, and `q=` values in
any logged request line are hidden anyway."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.actions import do_post_message
from hisho.redaction import SEARCH_TERMS_HIDDEN

ROOT = Path(__file__).resolve().parents[2]
WORD = "xylophonequest"


def test_searching_logs_nothing_of_the_words(
    demo: Demo, api_as: Any, web_as: Any, caplog: pytest.LogCaptureFixture
) -> None:
    do_post_message(actor=demo.people["alice"], errand=demo.alice_errand, body=f"a {WORD}")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.request")  # its 4xx lines too
    caplog.clear()
    assert api_as("alice").post("/search", {"q": WORD}).json()["count"] == 1
    assert api_as("admin").post("/search", {"q": WORD}).status_code == 403
    assert api_as("alice").post("/search", {"q": f"{WORD}\x00"}).status_code == 422
    page = web_as("kenji").post("/errands/search/", {"q": WORD})
    assert page.status_code == 200 and str(demo.alice_errand.pk) in page.content.decode()
    assert web_as("alice").post("/errands/search/", {"q": "x" * 300}).status_code == 400
    assert web_as("admin").post("/errands/search/", {"q": WORD}).status_code == 403
    assert caplog.records, "the test saw the logging it checks"
    for record in caplog.records:
        assert WORD not in record.getMessage()


def access_line(path: str) -> str:
    """A uvicorn access-log record for `path`, as the configured handler writes it."""
    (handler,) = [
        h for h in logging.getLogger("uvicorn.access").handlers if h.get_name() == "access"
    ]
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )
    assert handler.filter(record)
    return handler.format(record)


def test_the_access_log_filter_hides_query_values() -> None:
    line = access_line(f"/api/v1/errands?limit=5&q={WORD}+tokyo&sort=created")
    assert WORD not in line and "tokyo" not in line
    assert f"q={SEARCH_TERMS_HIDDEN}&sort=created" in line
    line = access_line(f"/accounts/login/?next=/errands/%3Fq%3D{WORD}%26page%3D2")
    assert WORD not in line and "%26page%3D2" in line
    assert "limit=5&offset=0" in access_line("/api/v1/errands?limit=5&offset=0")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "hisho", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def _request(url: str, *, data: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"null")


def test_a_real_asgi_server_logs_no_search_term(tmp_path: Path) -> None:
    """uvicorn as `make serve` runs it: a search (POST), and a client that puts the words
    in a query string anyway; the server's log holds none of them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="hisho.settings",
        HISHO_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    _run(env, "migrate", "--no-input")
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "hisho.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/", timeout=5).close()  # noqa: S310
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.3)
            # Signed out, the search is refused (401), but its request line is logged
            # all the same: the words are in the body, never in that line.
            assert _request(f"{base}/api/v1/search", data={"q": WORD})["status"] == 401
            for url in (f"/api/v1/errands?q={WORD}", f"/errands/?sort=created&q={WORD}"):
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(base + url, timeout=30).close()  # noqa: S310
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = log_path.read_text("utf-8", "replace").splitlines()
    access = [line for line in lines if "uvicorn.access" in line]
    assert any("POST /api/v1/search" in line for line in access), lines[-5:]
    assert any(f"q={SEARCH_TERMS_HIDDEN}" in line for line in access), lines[-5:]
    # A signed-out visitor of /errands/?q=… is sent to sign in with `next=` %-escaped.
    assert any("next=" in line for line in access), lines[-5:]
    assert not [line for line in lines if WORD in line]
