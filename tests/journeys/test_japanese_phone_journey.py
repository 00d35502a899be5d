"""The proof of issue 17: a Japanese-speaking customer on a 390 px phone, in headless
Chromium against Hisho under a real uvicorn (websockets and all).

1. She signs up in Japanese (Accept-Language ja). E-mail verification is mandatory, as in
   production: the verification e-mail arrives at a real SMTP server on loopback
   (aiosmtpd), and she follows its link in the browser.
2. She creates an errand, then asks for notifications on the errand page.
3. An admin assigns kenji (a demo assistant) and kenji replies, each in their own
   browser context, while her errand page is closed (no socket open: hisho.notify.presence).
4. A push reaches the push service stand-in on loopback (tests/push/service.py), which
   verifies the VAPID token and decrypts it to exactly `{"type": "message", "errand": id}`.
5. An e-mail reaches the loopback SMTP server, in Japanese, holding no message text,
   linking to the errand at the configured site URL (HISHO_PUBLIC_URL).
6. She opens that link on her phone (a fresh browser: signs in, lands on the errand) and
   sees kenji's reply.

**Push subscription, plainly:** Chromium's PushManager only ever subscribes with Google's
push service (FCM); it cannot be pointed at a push service on loopback, and a test must
not depend on reaching FCM (background networking is off here). So the page's
`PushManager.prototype.subscribe` is replaced (an init script) by one answering the
stand-in's endpoint and the keys of a `tests.push.service.Browser`, whose private key the
stand-in then decrypts with. Everything else is real: the service worker registers, the
notification permission is granted, Hisho's `app.js` (`window.hishoPush.subscribe()`)
fetches the VAPID key and posts the subscription to `/api/v1/me/push-subscriptions` with
the session and CSRF token, and Hisho's worker sends the push over HTTP with pywebpush.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from hisho.accounts.models import User
from hisho.desk.models import Errand, Message
from hisho.notify import presence
from tests.journeys.test_browser import sign_in
from tests.journeys.test_live_errand import _live, asgi_site  # noqa: F401 - fixture
from tests.outreach.conftest import Mailbox, smtp, text_of  # noqa: F401 - fixture
from tests.privacy.conftest import run_worker  # noqa: F401 - fixture
from tests.push.service import Browser, PushService

pytestmark = pytest.mark.browser

EMAIL = "hanako@example.com"
PASSWORD = "hanako-passphrase-2026"
TITLE = "新宿で英語が通じる美容院を探したい"
DETAILS = "土曜日の午前中、できれば駅の近くで。"
REPLY = "駅の東口に英語の話せるスタッフがいる美容院を二軒見つけました。"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def push_service(settings: Any, tmp_path: Any) -> Iterator[PushService]:
    settings.HISHO_VAPID_KEY_FILE = tmp_path / "keys" / "vapid.pem"
    with PushService() as running:
        settings.HISHO_PUSH_SERVICES = [running.origin]
        yield running


def _phone(browser: Any) -> Any:
    context = browser.new_context(
        locale="ja-JP", viewport=PHONE, extra_http_headers={"Accept-Language": "ja"}
    )
    return context.new_page()


def _fits(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a 390 px phone"


def _ja(message: str) -> str:
    with translation.override("ja"):
        text = translation.gettext(message)
    assert text != message, f"no Japanese for {message!r}"
    return text


def _link_in(text: str, prefix: str) -> str:
    found = re.search(re.escape(prefix) + r"\S+", text)
    assert found, f"no link to {prefix} in:\n{text}"
    return found.group(0)


def _wait(condition: Any, what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_japanese_customer_on_a_phone_hears_of_the_reply_by_push_and_email(
    browser: Any,
    asgi_site: str,  # noqa: F811 - fixture
    smtp: Mailbox,  # noqa: F811 - fixture
    run_worker: Any,  # noqa: F811 - fixture
    push_service: PushService,
    settings: Any,
) -> None:
    site = asgi_site
    settings.HISHO_PUBLIC_URL = site
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    run_worker()  # what loading the demo queued
    smtp.clear()

    # 1. Sign up, in Japanese, on a phone; verify the address from the e-mail.
    phone = _phone(browser)
    phone.goto(f"{site}/accounts/signup/")
    assert phone.evaluate("() => document.documentElement.lang") == "ja"
    _fits(phone)
    phone.fill("input[name=email]", EMAIL)
    phone.fill("input[name=password1]", PASSWORD)
    phone.fill("input[name=password2]", PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    [verification] = smtp.to(EMAIL)
    phone.goto(_link_in(text_of(verification), f"{site}/accounts/confirm-email/"))
    phone.click("main button[type=submit]")
    hanako = User.objects.get(email=EMAIL)
    assert hanako.language == "ja"
    assert hanako.emailaddress_set.get(email=EMAIL).verified
    phone.goto(f"{site}/accounts/login/")
    phone.fill("input[name=login]", EMAIL)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_url(f"{site}/errands/")

    # 2. A new errand, then notifications on this phone.
    phone.goto(f"{site}/errands/new/")
    _fits(phone)
    phone.fill("input[name=title]", TITLE)
    phone.fill("textarea[name=details]", DETAILS)
    phone.select_option("select[name=category]", label="買い物・配送")
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(r"/errands/[0-9a-f-]{36}/$"))
    errand = Errand.objects.get(customer=hanako)
    errand_id = str(errand.pk)
    assert phone.url == f"{site}/errands/{errand_id}/"
    _fits(phone)

    device = Browser()
    endpoint = push_service.endpoint(f"hanako-{uuid.uuid4().hex}")
    phone.context.grant_permissions(["notifications"], origin=site)
    phone.context.add_init_script(
        "PushManager.prototype.subscribe = function () { return Promise.resolve({ toJSON: "
        f"() => ({{ endpoint: {json.dumps(endpoint)}, keys: {json.dumps(device.keys)} }}) }}); }};"
    )
    phone.reload()
    _live(phone)
    answer = phone.evaluate(
        "() => navigator.serviceWorker.ready.then(() => window.hishoPush.subscribe())"
    )
    assert "id" in answer, answer
    [subscription] = hanako.push_subscriptions.all()
    assert subscription.endpoint == endpoint

    # She leaves the errand's page: its socket closes, so she is told by e-mail.
    phone.goto(f"{site}/errands/")
    _wait(lambda: not presence.is_open(hanako.pk, errand_id), "her socket did not close")

    # 3. An admin assigns kenji; kenji replies.
    admin = sign_in(browser, site, "admin@example.com")
    admin.goto(f"{site}/errands/{errand_id}/")
    admin.select_option("select[name=assistant_id]", label="Kenji")
    admin.click("main button:has-text('Assign'):not(:has-text('least'))")
    admin.wait_for_selector("text=Assigned to Kenji.")
    kenji = sign_in(browser, site, "kenji@example.com")
    kenji.goto(f"{site}/errands/{errand_id}/")
    kenji.fill("textarea[name=body]", REPLY)
    kenji.click("main button:has-text('Send')")
    kenji.wait_for_selector(f"text={REPLY}")
    assert Message.objects.filter(errand=errand, author__email="kenji@example.com").exists()
    run_worker()  # the pushes and the notification e-mails, as `hisho worker` runs them

    # 4. The push: VAPID-signed, encrypted to her device, nothing but a type and an id.
    assert push_service.errors == []
    mine = [r for r in push_service.received if endpoint.endswith(r.path)]
    payloads = [json.loads(push_service.decrypt(r, device)) for r in mine]
    assert {"type": "message", "errand": errand_id} in payloads, payloads
    for payload in payloads:
        assert set(payload) == {"type", "errand"} and payload["errand"] == errand_id
    for r in mine:
        assert r.claims["aud"] == push_service.origin

    # 5. The e-mail: Japanese, a link to the errand at the site URL, no content.
    subject = _ja("Hisho: a new message on your errand")
    notices = [m for m in smtp.to(EMAIL) if m["Subject"].strip() == subject]
    assert len(notices) == 1, [m["Subject"] for m in smtp.to(EMAIL)]
    text = text_of(notices[0])
    assert _ja("There is a new message on one of your errands.") in text
    raw = notices[0].as_string() + text
    for secret in (REPLY, REPLY[:8], TITLE, TITLE[:6], DETAILS[:6], "Kenji", "kenji"):
        assert secret not in raw
    link = _link_in(text, f"{site}/errands/")
    assert link == f"{site}/errands/{errand_id}/"

    # 6. She opens it from her mail app: a fresh browser, signed out.
    opened = _phone(browser)
    opened.goto(link)
    assert "/accounts/login/" in opened.url
    opened.fill("input[name=login]", EMAIL)
    opened.fill("input[name=password]", PASSWORD)
    opened.click("main button[type=submit]")
    opened.wait_for_url(link)
    opened.wait_for_selector(f"text={REPLY}")
    assert "Kenji" in opened.inner_text("main")
    assert opened.evaluate("() => document.documentElement.lang") == "ja"
    _fits(opened)
