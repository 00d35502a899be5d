"""The scaled shape, started once for the tests in this folder that need it (lazily: a
run that deselects them starts nothing). It makes its own PostgreSQL database
(`hisho_scaled_test`) and uses Redis database 3, whatever DATABASE_URL the suite runs
with, and stops and drops everything it started."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from hisho.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from scripts.scaled import ScaledShape, drop_database, flush_redis

DATABASE = "hisho_scaled_test"
REDIS_DB = 3
PORT = 18210


@pytest.fixture(scope="session")
def shape(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledShape]:
    logs = tmp_path_factory.mktemp("scaled-logs")
    # As docs/scaling.md deploys it: two app processes for HTTP, one for the websockets.
    scaled = ScaledShape(
        database=DATABASE,
        redis_db=REDIS_DB,
        port=PORT,
        apps=2,
        socket_apps=1,
        job_workers=2,
        log_dir=logs,
    )
    try:
        with scaled.running(demo=True, fresh=True, with_jobs=True):
            yield scaled
    finally:
        drop_database(DATABASE)
        flush_redis(scaled.redis_url)


def call(
    method: str, url: str, data: Any = None, *, token: str | None = None, timeout: float = 10
) -> tuple[int, Any]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - loopback
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Session-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def open_chat(
    base: str, errand_id: str, token: str, *, origin: str | None = None
) -> ClientConnection:
    """A chat socket through `base` (ws://host:port: a socket process, an app, or nginx);
    `origin`: the Origin header a browser would send (none by default, as an app)."""
    return connect(
        f"{base}/ws/v1/errands/{errand_id}/",
        subprotocols=["hisho.v1", f"hisho.token.{token}"],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        open_timeout=10,
    )


def next_frame(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return frame


def post_and_receive(
    base: str, errand_id: str, token: str, watching: ClientConnection, label: str
) -> dict[str, Any]:
    """Post a message through `base` (http://…) and return it once its frame, with the
    same id and body, has arrived on the `watching` socket."""
    body = f"{label} {uuid.uuid4()}"
    status, posted = call(
        "POST", f"{base}/api/v1/errands/{errand_id}/messages", {"body": body}, token=token
    )
    assert status == 201, posted
    frame = next_frame(watching)
    assert frame["type"] == "message", frame
    assert frame["message"]["id"] == posted["id"] and frame["message"]["body"] == body
    return dict(posted)


def sign_in(base: str, handle: str) -> str:
    """allauth headless app login, with the TOTP step when the account has to use MFA."""
    from tests.conftest import totp_code

    status, body = call(
        "POST",
        f"{base}/_allauth/app/v1/auth/login",
        {"email": f"{handle}@example.com", "password": DEMO_PASSWORD},
    )
    token: str = body["meta"]["session_token"]
    flows = [flow["id"] for flow in body.get("data", {}).get("flows", [])] if status == 401 else []
    if "mfa_authenticate" in flows:
        code = totp_code(DEMO_TOTP_SECRET)
        status, body = call(
            "POST", f"{base}/_allauth/app/v1/auth/2fa/authenticate", {"code": code}, token=token
        )
        token = body["meta"].get("session_token", token)
    assert status == 200, body
    return token


@pytest.fixture(scope="session")
def people(shape: ScaledShape) -> dict[str, Any]:
    base = shape.http_url(0)
    alice, kenji = sign_in(base, "alice"), sign_in(base, "kenji")
    status, page = call("GET", f"{base}/api/v1/errands", token=kenji)
    assert status == 200 and page["items"], page
    return {"alice": alice, "kenji": kenji, "errand": page["items"][0]["id"]}
