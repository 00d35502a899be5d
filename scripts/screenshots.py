"""Screenshots of Hisho's main pages, for the README and docs/screenshots/ (issue 17).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--port 0]

`make screenshots` runs it (it is not part of `make test`). It sets up the embedded shape
on the demo data in a temporary directory of its own (SQLite, keyring, everything:
`hisho migrate`, `hisho demo`), serves it with uvicorn on a free loopback port, signs in
as the demo people in Debian's headless Chromium (Playwright), and takes each page at
390 px (a phone) and 1280 px (a laptop), in English and in Japanese (the language switch,
kept on each person's profile). Each shot is the top of the page — at most two screens
high — saved as a 256-colour PNG (Pillow) to stay small. Then it stops the server and
removes the directory.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's hisho, whichever the virtualenv names
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WIDTHS = {390: 844, 1280: 800}  # width → viewport height; a shot is at most 2 of those
LANGUAGES = ("en", "ja")
ERRAND = "{errand}"  # filled with the demo errand kenji handles for alice
DEMO_ERRAND = "Book a table for 4"

# (file name, who, path, what the README calls it)
PAGES = [
    ("home", None, "/", "Home"),
    ("sign-in", None, "/accounts/login/", "Sign in"),
    ("privacy-policy", None, "/privacy/", "Privacy policy"),
    ("errands", "alice", "/errands/", "Errand list"),
    ("errand-chat", "alice", f"/errands/{ERRAND}/", "Errand page and chat"),
    ("new-errand", "alice", "/errands/new/", "New errand"),
    ("my-data", "alice", "/me/data/", "My data"),
    ("who-saw-my-data", "alice", "/me/access-log/", "Who saw my data"),
    ("assistant-errand", "kenji", f"/errands/{ERRAND}/", "The errand, as its assistant"),
    ("people", "admin", "/staff/people/", "People (admin)"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def hisho_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HISHO_")}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="hisho.settings",
        HISHO_VAR_DIR=str(var_dir),
        HISHO_PUBLIC_URL=f"http://127.0.0.1:{port}",
        HISHO_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


@contextmanager
def demo_site(port: int) -> Iterator[str]:
    """The embedded shape on the demo data, served on 127.0.0.1:port; removed after."""
    with tempfile.TemporaryDirectory(prefix="hisho-screenshots-") as var:
        env = hisho_env(Path(var), port)
        hisho = [sys.executable, "-m", "hisho"]
        for command in (["migrate", "--no-input", "-v", "0"], ["demo"]):
            subprocess.run(  # noqa: S603 - this repository's own command
                [*hisho, *command], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL
            )
        argv = [str(BIN / "uvicorn"), "hisho.asgi:application", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--no-access-log", "--lifespan", "off"]
        server = subprocess.Popen(  # noqa: S603 - fixed argv
            argv,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        # This process reads the demo's password and TOTP secret from the same settings.
        os.environ.update(env)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/", timeout=20):  # noqa: S310 - loopback
                        break
                except (urllib.error.URLError, OSError):
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def totp_code() -> str:
    """The demo staff's current code, never one about to expire."""
    from hisho.accounts.mfa import current_totp_code
    from hisho.demo import DEMO_TOTP_SECRET

    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.05)
    return str(current_totp_code(DEMO_TOTP_SECRET))


def sign_in(context: Any, base: str, handle: str) -> None:
    import django

    django.setup()
    from hisho.demo import DEMO_PASSWORD

    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", f"{handle}@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(("/errands/", "/accounts/2fa/authenticate/")))
    if page.url.endswith("/accounts/2fa/authenticate/"):
        page.fill("input[name=code]", totp_code())
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/errands/")
    page.close()


def switch_language(context: Any, base: str, language: str) -> None:
    """The language switch of the navigation (kept on the profile when signed in)."""
    page = context.new_page()
    page.goto(f"{base}/")
    if page.evaluate("() => document.documentElement.lang") != language:
        page.click(f"[data-testid=language-switch] button[value={language}]")
        page.wait_for_load_state()
    page.close()


def demo_errand(context: Any, base: str) -> str:
    """The id of alice's errand that kenji handles (it has a chat)."""
    page = context.new_page()
    page.goto(f"{base}/errands/")
    href = page.get_attribute(f"main a:has-text('{DEMO_ERRAND}')", "href") or ""
    page.close()
    found = re.search(r"/errands/([0-9a-f-]{36})/$", href)
    if not found:
        raise SystemExit(f"no demo errand {DEMO_ERRAND!r} in alice's list")
    return found.group(1)


def shoot(page: Any, width: int, out: Path) -> int:
    """The page in a viewport as tall as the shot (at most two screens, less when the
    page is shorter), so that what is fixed to the bottom — the chat composer — is drawn
    at the bottom rather than over the middle of a full-page capture."""
    from PIL import Image

    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": min(height, 2 * WIDTHS[width])})
    page.wait_for_timeout(200)
    raw = page.screenshot(animations="disabled")
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(out, format="PNG", optimize=True)
    return out.stat().st_size


def take_all(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        people = sorted({who for _, who, _, _ in PAGES if who})
        contexts: dict[str | None, Any] = {}
        for who in [None, *people]:
            contexts[who] = browser.new_context()
            if who:
                sign_in(contexts[who], base, who)
        errand = demo_errand(contexts["alice"], base)
        for language in LANGUAGES:
            for context in contexts.values():
                context.set_extra_http_headers({"Accept-Language": language})
                switch_language(context, base, language)
            for width, height in WIDTHS.items():
                for name, who, path, _title in PAGES:
                    page = contexts[who].new_page()
                    page.set_viewport_size({"width": width, "height": height})
                    response = page.goto(base + path.replace(ERRAND, errand))
                    if response is None or response.status != 200:
                        raise SystemExit(f"{path} as {who} did not answer 200")
                    page.wait_for_load_state("networkidle")
                    lang = page.evaluate("() => document.documentElement.lang")
                    if lang != language:
                        raise SystemExit(f"{path} as {who} is in {lang!r}, not {language!r}")
                    target = out / f"{language}-{width}-{name}.png"
                    size = shoot(page, width, target)
                    print(f"{target.relative_to(ROOT)}  {size // 1024} KiB")
                    written.append(target)
                    page.close()
        browser.close()
    return written


def write_index(out: Path) -> Path:
    """docs/screenshots/README.md: every shot, a row per page, linked."""
    lines = [
        "# Screenshots",
        "",
        "Taken by `make screenshots` (`scripts/screenshots.py`) from the demo data: the top",
        "of each page (at most two screens), 256-colour PNG. Click a cell for the image.",
        "",
        "| page | who | "
        + " | ".join(f"{lang} {w} px" for lang in LANGUAGES for w in WIDTHS)
        + " |",
        "|---|---|" + "---|" * (len(LANGUAGES) * len(WIDTHS)),
    ]
    for name, who, _path, title in PAGES:
        cells = [
            f"[{lang} {width}]({lang}-{width}-{name}.png)" for lang in LANGUAGES for width in WIDTHS
        ]
        lines.append(f"| {title} | {who or 'visitor'} | " + " | ".join(cells) + " |")
    index = out / "README.md"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=0, help="loopback port (0: any free one)")
    args = parser.parse_args(argv)
    port = args.port or free_port()
    with demo_site(port) as base:
        written = take_all(base, args.out.resolve())
    write_index(args.out.resolve())
    total = sum(path.stat().st_size for path in written)
    print(f"{len(written)} screenshots, {total / 1024 / 1024:.1f} MiB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
