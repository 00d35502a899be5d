"""The errand page updates itself (issue 17): in headless Chromium, against Hisho served
by uvicorn (websockets and all, as `make serve` runs it), alice keeps her errand's page
open while kenji starts working and an admin hands the errand to yuki; her status badge,
"Handled by …" and "Who handles this errand" change without a reload, and kenji's page,
which lost the errand, says so."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.journeys.test_browser import sign_in

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def asgi_site(transactional_db: None) -> Iterator[str]:
    """hisho.asgi's router (with static files served, as the live server does) under a
    real uvicorn in a thread of this process, on the test database."""
    import uvicorn
    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application

    from hisho.demo import load_demo
    from hisho.routing import websocket_router

    load_demo()
    application = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": AuthMiddlewareStack(websocket_router),
        }
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            # Keep Hisho's logging (its masking filter on uvicorn's loggers): uvicorn would
            # otherwise install its own handlers for the rest of the test session.
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _live(page: Any) -> None:
    """Wait for the page's socket to be up (chat.js has caught up once it opened)."""
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(e => e.name.includes('/messages?limit=200'))"
    )


def test_status_and_assignment_appear_without_a_reload(browser: Any, asgi_site: str) -> None:
    alice = sign_in(browser, asgi_site, "alice@example.com")
    alice.click("text=Book a table for 4")
    errand_url = alice.url
    _live(alice)
    alice.evaluate("() => { window.__notReloaded = true; }")
    assert "Handled by Kenji" in alice.inner_text("main section")
    assert alice.is_visible("text=Kenji handles it and can read what you gave with it.")

    # Kenji starts working: alice's badge changes in place.
    kenji = sign_in(browser, asgi_site, "kenji@example.com")
    kenji.goto(errand_url)
    _live(kenji)
    kenji.click("main button:has-text('Start working')")
    kenji.wait_for_selector("[data-testid=status]:has-text('In progress')")
    alice.wait_for_selector("[data-testid=status]:has-text('In progress')")
    # Kenji's page swapped "Start working" for "Mark done" (after its own reload).
    assert kenji.is_visible("main button:has-text('Mark done')")
    assert not kenji.is_visible("main button:has-text('Start working')")

    # An admin hands it to Yuki: alice sees who handles it now; kenji's page says he
    # can no longer see it.
    _live(kenji)
    admin = sign_in(browser, asgi_site, "admin@example.com")
    admin.goto(errand_url)
    admin.select_option("select[name=assistant_id]", label="Yuki")
    admin.click("main button:has-text('Assign'):not(:has-text('least'))")
    admin.wait_for_selector("text=Assigned to Yuki.")
    alice.wait_for_selector("main p:has-text('Handled by Yuki')", timeout=10_000)
    alice.wait_for_selector("text=Yuki handles it and can read what you gave with it.")
    assert not alice.is_visible("text=Kenji handles it")
    kenji.wait_for_selector("text=You can no longer see this errand's chat.")

    # Yuki marks it done: alice's cancel button, "ask for someone else" and the
    # composer go away, live.
    yuki = sign_in(browser, asgi_site, "yuki@example.com")
    yuki.goto(errand_url)
    yuki.click("main button:has-text('Mark done')")
    yuki.wait_for_selector("[data-testid=status]:has-text('Done')")
    alice.wait_for_selector("[data-testid=status]:has-text('Done')")
    assert not alice.is_visible("main button:has-text('Cancel errand')")
    assert not alice.is_visible("main button:has-text('Ask for a different assistant')")
    assert not alice.is_visible("#live-chat form[data-live-form]")
    assert alice.evaluate("() => window.__notReloaded === true")
