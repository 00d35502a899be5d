"""The installable app (issue 17): manifest, service worker and offline page at the site
root; in Chromium the worker registers, the install criteria hold, and offline the cached
offline page is shown — while nothing but the shell is ever cached."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from django.test import Client

from hisho.demo import DEMO_PASSWORD, load_demo
from hisho.push.views import shell_files


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.django_db
def test_the_manifest_names_the_app_and_its_icons() -> None:
    response = Client().get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"] and manifest["short_name"] == "Hisho"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#a3232b" and manifest["background_color"]
    assert manifest["lang"] == "ja"
    sizes = {}
    for icon in manifest["icons"]:
        if icon["type"] == "image/png":
            fetched = Client().get(icon["src"])
            assert fetched.status_code == 200, icon
            body = b"".join(fetched.streaming_content) if fetched.streaming else fetched.content
            assert f"{png_size(body)[0]}x{png_size(body)[1]}" == icon["sizes"]
            sizes.setdefault(icon.get("purpose", "any"), set()).add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes["any"]
    assert "512x512" in sizes["maskable"]


@pytest.mark.django_db
def test_the_worker_is_served_from_the_root_and_caches_only_the_shell() -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    for event in ("install", "activate", "fetch", "push", "notificationclick"):
        assert f'addEventListener("{event}"' in script
    # The shell: the offline page and static files, never an API answer or a page.
    shell = shell_files()
    assert json.dumps(shell) in script
    assert all(p == "/offline/" or p.startswith("/static/") for p in shell)
    # The worker fetches nothing on a push: the notification is generic.
    push_handler = script.split('addEventListener("push"')[1].split("addEventListener(")[0]
    assert "fetch(" not in push_handler


@pytest.mark.django_db
def test_the_offline_page_holds_nothing_of_anyone(demo: Any) -> None:
    client = Client()
    client.force_login(demo.people["alice"])
    response = client.get("/offline/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" not in page
    for personal in ("alice", "Alice", "My errands", "Sign out"):
        assert personal not in page
    assert "You are offline" in page and 'lang="ja"' in page


@pytest.mark.django_db
def test_every_page_links_the_manifest_and_the_worker() -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert 'data-worker="/sw.js"' in page


@pytest.fixture
def site(site: str) -> str:
    """The demo world loaded on the test database (emptied after each test)."""
    load_demo()
    return site


@pytest.mark.browser
def test_chromium_installs_the_app_and_shows_the_offline_page(browser: Any, site: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{site}/"
    # Chromium's own installability check: manifest fields, icons, a worker with a fetch
    # handler controlling the page.
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"] == f"{site}/manifest.webmanifest"
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chromium installs nothing; that
    # is the only objection allowed (nothing about the manifest, icons or worker).
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []

    # Signed in, a customer's pages are fetched but never cached.
    page.fill("input[name=login]", "alice@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{site}/errands/")
    page.evaluate("fetch('/api/v1/me').then(r => r.text())")
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls.sort();
        }"""
    )
    assert cached == sorted(shell_files())

    # Offline, a page is the cached offline page (with nothing of Alice's).
    context.set_offline(True)
    page.goto(f"{site}/errands/")
    assert page.locator("[data-testid=offline]").is_visible()
    assert "Alice" not in page.content()
    context.close()


@pytest.mark.browser
def test_the_profile_turns_on_push_for_this_device(browser: Any, site: str) -> None:
    """Before, only `window.hishoPush.subscribe()` typed into a console subscribed a
    browser: no page offered it, so the profile's push setting reached no device."""
    from hisho.accounts.models import User
    from tests.push.service import Browser

    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=site)
    # Chromium subscribes only with Google's push service, out of reach here: the
    # subscription it would return is stubbed, everything after it is real.
    endpoint = "https://fcm.googleapis.com/fcm/send/profile-button"
    keys = Browser().keys
    context.add_init_script(
        "PushManager.prototype.subscribe = function () { return Promise.resolve({ toJSON: "
        f"() => ({{ endpoint: {json.dumps(endpoint)}, keys: {json.dumps(keys)} }}) }}); }};"
    )
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=login]", "alice@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{site}/errands/")
    page.goto(f"{site}/me/")
    page.evaluate("navigator.serviceWorker.ready")
    button = page.locator("[data-push-subscribe]")
    assert button.is_visible()
    button.click()
    page.wait_for_selector("[data-push-status]:has-text('Notifications are on')")
    alice = User.objects.get(email="alice@example.com")
    assert [s.endpoint for s in alice.push_subscriptions.all()] == [endpoint]
    context.close()
