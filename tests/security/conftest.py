"""Fixtures for the sign-in security tests (issue 6; docs/security.md)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, *, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read() if process.stderr else ''}")
        try:
            if requests.get(url, timeout=2, verify=False).status_code < 500:  # noqa: S501
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


OIDC_CLIENT_ID = "hisho-test"
OIDC_CLIENT_SECRET = "hisho-test-secret-0123456789"
OIDC_PROVIDER_ID = "local-op"
OIDC_CALLBACK = f"http://testserver/accounts/oidc/{OIDC_PROVIDER_ID}/login/callback/"
OP_PEOPLE = {
    "olive": {"email": "olive@example.org", "password": "olive-at-the-op-2026", "name": "Olive"},
    # Same e-mail as Hisho's alice: the provider must not sign anyone in as alice.
    "alice": {"email": "alice@example.com", "password": "alice-at-the-op-2026", "name": "A"},
}


@pytest.fixture(scope="session")
def oidc_op(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenID Connect provider (allauth.idp.oidc in a second Django project) on
    127.0.0.1, in its own process; yields its issuer URL."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    port = free_port()
    setup = {
        "clients": [
            {
                "id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "redirect_uris": [OIDC_CALLBACK],
            },
            {
                "id": "another-app",
                "secret": "another-secret-0123456789",
                "redirect_uris": [OIDC_CALLBACK],
            },
        ],
        "people": list(OP_PEOPLE.values()),
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DJANGO_"))},
        "OIDC_OP_DB": str(tmp_path_factory.mktemp("oidc-op") / "op.sqlite3"),
        "OIDC_OP_PRIVATE_KEY": pem,
    }
    process = subprocess.Popen(  # noqa: S603 - our own test module
        [sys.executable, "-m", "tests.security.oidc_op.serve", str(port), json.dumps(setup)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{issuer}/.well-known/openid-configuration", process=process)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
