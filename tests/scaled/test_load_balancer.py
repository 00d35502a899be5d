"""nginx in front of the scaled shape with deploy/nginx/hisho-locations.conf, the file an
operator includes (docs/scaling.md): websockets reach the socket process and nothing else
does, HTTP reaches the app processes, and a message posted through nginx arrives on a chat
opened through nginx. The app sees the Host with its port, so a browser's Origin on a
non-default port is this site's; the errors nginx makes itself reach /api/ clients as
problem+json, like Hisho's own.

Needs Debian's nginx (`apt-get install nginx-light`; .ci/run installs it when missing).
"""

from __future__ import annotations

import getpass
import http.client
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from scripts.scaled import ScaledShape
from tests.scaled.conftest import call, next_frame, open_chat, post_and_receive

pytestmark = pytest.mark.scaled

LOCATIONS = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "hisho-locations.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def upstream(name: str, ports: list[int]) -> str:
    return f"upstream {name} {{ " + " ".join(f"server 127.0.0.1:{p};" for p in ports) + " }"


@contextmanager
def running_nginx(home: Path, http_ports: list[int], socket_ports: list[int]) -> Iterator[str]:
    """nginx on a free loopback port with deploy/nginx/hisho-locations.conf in its server
    block, `http_ports` and `socket_ports` as its two upstreams; yields host:port."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: apt-get install -y nginx-light (see README)")
    port = free_port()
    temp = " ".join(
        f"{kind}_temp_path {home / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    (home / "nginx.conf").write_text(
        f"""
user {getpass.getuser()};
worker_processes 1;
pid {home / "nginx.pid"};
error_log {home / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temp} uwsgi_temp_path {home / "uwsgi"}; scgi_temp_path {home / "scgi"};
    {upstream("hisho_http", http_ports)}
    {upstream("hisho_sockets", socket_ports)}
    server {{
        listen 127.0.0.1:{port};
        include {LOCATIONS};
    }}
}}
"""
    )
    argv = [NGINX, "-p", str(home), "-e", str(home / "error.log"), "-c", str(home / "nginx.conf")]
    checked = subprocess.run(  # noqa: S603 - Debian's nginx, our config
        [*argv, "-t"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(  # noqa: S603 - Debian's nginx, our config
        [*argv, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (home / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def nginx(shape: ScaledShape, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx on a free loopback port, the shape's processes as its two upstreams."""
    assert shape.socket_apps, "the shape under test keeps its websockets apart"
    home = tmp_path_factory.mktemp("nginx")
    with running_nginx(home, shape.app_ports(), shape.socket_ports()) as address:
        yield address


@pytest.fixture(scope="module")
def nginx_without_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same nginx with its app processes down: both upstreams are a port that nothing
    listens on (nginx's connect is refused)."""
    home = tmp_path_factory.mktemp("nginx-without-apps")
    closed = free_port()
    with running_nginx(home, [closed], [closed]) as address:
        yield address


def connections_to(port: int) -> int:
    """Established TCP connections whose far end is 127.0.0.1:`port` (/proc/net/tcp)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if state == "01" and remote == f"0100007F:{port:04X}":
            count += 1
    return count


def test_nginx_sends_the_chat_to_the_socket_process_and_the_rest_to_the_apps(
    nginx: str, shape: ScaledShape, people: dict[str, Any]
) -> None:
    errand = people["errand"]
    (sockets_port,) = shape.socket_ports()
    watched = [sockets_port, *shape.app_ports()]
    before = {port: connections_to(port) for port in watched}
    with open_chat(f"ws://{nginx}", errand, people["kenji"]) as kenji:
        kenji.send(json.dumps({"type": "ping"}))
        assert next_frame(kenji)["type"] == "pong"
        # nginx holds one connection for the chat, to the socket process and no other.
        held = {port: connections_to(port) - before[port] for port in watched}
        assert held == {sockets_port: 1, **{port: 0 for port in shape.app_ports()}}

        post_and_receive(
            f"http://{nginx}", errand, people["alice"], kenji, "Through the load balancer"
        )


def test_http_through_nginx_answers_from_the_apps_with_hishos_own_problems(
    nginx: str, shape: ScaledShape, people: dict[str, Any]
) -> None:
    status, page = call("GET", f"http://{nginx}/api/v1/errands", token=people["kenji"])
    assert status == 200 and page["items"]
    # Refusals are the app's, not the proxy's: problem+json from Hisho.
    status, problem = call("GET", f"http://{nginx}/api/v1/errands/{uuid.uuid4()}", token="nope")
    assert status == 401 and problem["status"] == 401
    # A body over the API's limit is refused by Hisho (413, problem+json), not by nginx.
    status, problem = call(
        "POST",
        f"http://{nginx}/api/v1/errands/{people['errand']}/messages",
        {"body": "x" * (300 * 1024)},
        token=people["alice"],
    )
    assert status == 413 and problem["status"] == 413


def exchange(
    address: str,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request to `address` as sent, the way a browser or a careless client would
    (no redirect followed; Host is address, port included): status, headers, body."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def assert_problem(answer: tuple[int, http.client.HTTPMessage, bytes], status: int) -> None:
    """`answer` is problem+json of Hisho's shape (hisho/problems.py) with `status`."""
    code, headers, body = answer
    assert code == status, (code, headers.get_content_type(), body[:300])
    assert headers.get_content_type() == "application/problem+json", body[:300]
    problem = json.loads(body)
    assert set(problem) == {"type", "title", "status", "detail"}, problem
    assert problem["status"] == status and problem["type"] == "about:blank", problem
    assert problem["title"] and problem["detail"], problem


def test_nginx_passes_the_port_in_host_so_a_browsers_origin_is_this_site(
    nginx: str, people: dict[str, Any]
) -> None:
    # A page served by nginx on its own (non-default) port has this Origin. The app must
    # see the same host and port in Host; with the port dropped, it refused its own pages.
    site, elsewhere = f"http://{nginx}", "http://127.0.0.1"
    with open_chat(f"ws://{nginx}", people["errand"], people["kenji"], origin=site) as chat:
        chat.send(json.dumps({"type": "ping"}))
        assert next_frame(chat)["type"] == "pong"
    # The check is on: the same host without the port is another site, refused.
    with pytest.raises(InvalidStatus) as refused:
        open_chat(f"ws://{nginx}", people["errand"], people["kenji"], origin=elsewhere)
    assert refused.value.response.status_code == 403

    # Django's CSRF check of a form POST compares the Origin with Host the same way.
    status, headers, _ = exchange(nginx, "GET", "/accounts/login/")
    assert status == 200
    cookies = SimpleCookie()
    for line in headers.get_all("Set-Cookie") or []:
        cookies.load(line)
    name = next(name for name in cookies if name.endswith("csrftoken"))
    form = {
        "Cookie": f"{name}={cookies[name].value}",
        "X-CSRFToken": cookies[name].value,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    status, _, body = exchange(
        nginx, "POST", "/language/", {**form, "Origin": site}, b"language=en&next=/"
    )
    assert status == 302, body[:300]  # switched, and back to the page
    status, _, _ = exchange(
        nginx, "POST", "/language/", {**form, "Origin": elsewhere}, b"language=en&next=/"
    )
    assert status == 403


def test_nginx_answers_its_own_refusals_to_the_api_with_problem_json(
    nginx: str, people: dict[str, Any]
) -> None:
    attachments = f"/api/v1/errands/{people['errand']}/attachments"
    # A body over client_max_body_size (21 MiB): nginx refuses it on its Content-Length,
    # before any of it is sent and before the app sees the request.
    too_large = {"Content-Length": str(25 * 1024 * 1024), "X-Session-Token": people["alice"]}
    answers = {
        413: exchange(nginx, "POST", attachments, too_large),
        # A request line longer than nginx's header buffers (8 KiB).
        414: exchange(nginx, "GET", "/api/v1/errands?q=" + "a" * 9000),
        # A URI nginx cannot decode (a NUL byte).
        400: exchange(nginx, "GET", "/api/v1/errands/%00"),
        # A header line longer than nginx's header buffers (nginx's 494, sent as 400).
        494: exchange(nginx, "GET", "/api/v1/errands", {"X-Padding": "a" * 9000}),
        # The sign-in API is JSON too (the app's allauth flows).
        "sign-in": exchange(nginx, "GET", "/_allauth/app/v1/config?q=" + "a" * 9000),
        # The same paths with letters %-escaped: the app reads them as /api/ and /_allauth/.
        "escaped": exchange(nginx, "GET", "/%61pi%2Fv1/errands?q=" + "a" * 9000),
        "escaped sign-in": exchange(nginx, "GET", "/%5f%61llauth/app/v1/config?q=" + "a" * 9000),
    }
    # Every case at once, so that a failure shows them all.
    assert {
        case: (code, headers.get_content_type()) for case, (code, headers, _) in answers.items()
    } == {
        413: (413, "application/problem+json"),
        414: (414, "application/problem+json"),
        400: (400, "application/problem+json"),
        494: (400, "application/problem+json"),
        "sign-in": (414, "application/problem+json"),
        "escaped": (414, "application/problem+json"),
        "escaped sign-in": (414, "application/problem+json"),
    }
    for case, answer in answers.items():
        expected = {494: 400, "sign-in": 414, "escaped": 414, "escaped sign-in": 414}
        assert_problem(answer, expected.get(case, case))

    # Pages keep nginx's own small answer, with the same status.
    status, headers, _ = exchange(
        nginx, "POST", f"/errands/{people['errand']}/attachments/", too_large
    )
    assert status == 413 and headers.get_content_type() == "text/html"
    status, headers, _ = exchange(nginx, "GET", "/errands/%00")
    assert status == 400 and headers.get_content_type() == "text/html"


def test_the_api_with_its_apps_down_answers_problem_json_through_nginx(
    nginx_without_apps: str,
) -> None:
    answer = exchange(nginx_without_apps, "GET", "/api/v1/errands")
    assert_problem(answer, 502)
    assert "try again" in json.loads(answer[2])["detail"]
    status, headers, _ = exchange(nginx_without_apps, "GET", "/")
    assert status == 502 and headers.get_content_type() == "text/html"
