"""nginx in front of the scaled shape with deploy/nginx/hisho-locations.conf, the file an
operator includes (docs/scaling.md): websockets reach the socket process and nothing else
does, HTTP reaches the app processes, and a message posted through nginx arrives on a chat
opened through nginx.

Needs Debian's nginx (`apt-get install nginx-light`; .ci/run installs it when missing).
"""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="module")
def nginx(shape: ScaledShape, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx on a free loopback port, the shape's processes as its two upstreams."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: apt-get install -y nginx-light (see README)")
    assert shape.socket_apps, "the shape under test keeps its websockets apart"
    home = tmp_path_factory.mktemp("nginx")
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
    {upstream("hisho_http", shape.app_ports())}
    {upstream("hisho_sockets", shape.socket_ports())}
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
