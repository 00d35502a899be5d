"""Security headers on every response, pages and API alike, in both shapes; production
settings pass `hisho check --deploy --fail-level WARNING` (POLICY O3).

ASVS: v5.0.0-3.3.1/3.3.3/3.3.4 (cookies: Secure, __Host-, HttpOnly), 3.4.1 (HSTS),
3.4.3/3.4.6 (CSP with object-src, base-uri, frame-ancestors), 3.4.4 (nosniff),
3.4.5 (Referrer-Policy), 12.2.1 (HTTPS only), 13.4.x (production configuration).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hisho.demo import Demo

ROOT = Path(__file__).resolve().parents[2]


def assert_browser_headers(response: Any) -> None:
    csp = {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/api/v1/me", "/api/v1/openapi.json", "/no-such-page/"]
)
def test_every_response_carries_the_headers(path: str, demo: Demo) -> None:
    assert_browser_headers(Client().get(path))


def test_signed_in_pages_and_api_carry_the_headers(demo: Demo, web_as: Any, api_as: Any) -> None:
    assert_browser_headers(web_as("alice").get("/errands/"))
    assert_browser_headers(api_as("alice").get("/errands"))


def production_env(tmp_path: Path) -> dict[str, str]:
    keyring = tmp_path / "master.keyring"
    subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "hisho.vault.keyring", "create", str(keyring)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HISHO_", "DATABASE_URL", "DJANGO_"))
    }
    return {
        **clean,
        "HISHO_MODE": "production",
        "HISHO_SECRET_KEY": secrets.token_urlsafe(60),
        "HISHO_ALLOWED_HOSTS": "hisho.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HISHO_MASTER_KEY_FILE": str(keyring),
        "HISHO_VAR_DIR": str(tmp_path),
    }


def test_deploy_check_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hisho", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


PROBE = r"""
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from django.test import Client
out = {}
c = Client(HTTP_HOST="hisho.example")
plain = c.get("/accounts/login/")
out["redirect"] = [plain.status_code, plain.get("Location", "")]
for name, path in [("page", "/accounts/login/"), ("api", "/api/v1/me")]:
    r = c.get(path, secure=True)
    out[name] = {
        "status": r.status_code,
        "headers": dict(r.headers),
        "cookies": {k: {a: str(m[a]) for a in ("secure", "httponly", "path", "domain", "samesite")}
                    for k, m in r.cookies.items()},
    }
from django.core.cache import caches
out["cache"] = type(caches["default"]).__name__
out["cache_key"] = caches["default"].make_key("allauth:rl:account:login_failed:5/5m:ip:10.9.8.7")
print(json.dumps(out))
"""


def test_production_responses_are_https_only(tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "hisho.settings"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # Plain HTTP is sent to HTTPS.
    assert out["redirect"][0] == 301 and out["redirect"][1].startswith("https://hisho.example/")
    for name in ("page", "api"):
        headers = out[name]["headers"]
        hsts = headers["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert out["api"]["status"] == 401
    cookies = out["page"]["cookies"]
    assert set(cookies) == {"__Host-csrftoken"}, cookies  # no other cookie before sign-in
    csrf = cookies["__Host-csrftoken"]
    assert csrf["secure"] == "True" and csrf["httponly"] == "True"
    assert csrf["path"] == "/" and csrf["domain"] == "" and csrf["samesite"] == "Lax"
    # Throttle counters live in the database there, not in memory or Redis.
    assert out["cache"] == "DatabaseCache"
    # ... under keys that name nobody (hisho/cachekeys.py): no address, no e-mail's hash.
    assert "10.9.8.7" not in out["cache_key"] and "login_failed" not in out["cache_key"]
