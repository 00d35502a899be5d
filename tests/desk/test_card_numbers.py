"""POLICY K9: a card number sent through any input path is masked to its last four digits
(or, where a mask makes no sense, refused) before it is stored, logged or sent on; the
sender is told why.

A corpus of card numbers (every brand, many ways of typing them, and the adversarial
generator's: any grouping and separator, invisible characters, other scripts' digits,
keycaps, stray digits and expiries glued on) goes through every path that
hisho/inbound_paths.py lists: the web forms and the API into every text field a person can
fill, chat over the websocket, e-mail addresses (sign-up, the contact form's reply-to),
the User-Agent, the URL path and query. Afterwards none of these holds the digits of any
of them: the database (raw values, and the content read back through the vault), what the
channel layer (Redis when scaled) was given, the application log as its handler writes it,
mail as the console backend prints it, error reports, every response, and the log and the
database of a real uvicorn serving Hisho on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from bench.dlp.adversarial import adversarial_card
from hisho.attachments.models import Attachment
from hisho.demo import DEMO_PASSWORD, Demo, email_of
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand, Message
from hisho.dlp.normalize import skeleton
from hisho.inbound_paths import NoFreeText, all_paths
from hisho.redaction import MaskingExceptionReporterFilter
from hisho.vault.keys import store
from tests.attachments import samples as attachment_samples
from tests.principals import P
from tests.privacy.conftest import changed_policy, new_purpose, run_worker

__all__ = ["changed_policy", "run_worker"]  # fixtures used below

ROOT = Path(__file__).resolve().parents[2]

# Luhn-valid test numbers of each brand, with the IIN ranges Japan and its visitors use.
CARDS = {
    "visa": "4111111111111111",
    "mastercard": "5555555555554444",
    "mastercard-2series": "2223003122003222",
    "amex": "378282246310005",
    "jcb": "3530111333300000",
    "diners": "36227206271667",
    "discover": "6011111111111117",
    "unionpay": "6200000000000005",
}

FULLWIDTH = str.maketrans("0123456789 -", "０１２３４５６７８９　－")


def formats(number: str) -> list[str]:
    groups = (
        [number[:4], number[4:10], number[10:]]
        if len(number) == 15
        else [number[i : i + 4] for i in range(0, len(number), 4)]
    )
    return [
        number,
        " ".join(groups),
        "-".join(groups),
        ".".join(groups),
        " ".join(groups).translate(FULLWIDTH),
        "-".join(groups).translate(FULLWIDTH),
    ]


def sentences(number: str) -> list[str]:
    typed = formats(number)
    return [
        f"please charge my card {typed[1]} thanks",
        f"カード番号は{typed[4]}です",
        f"card:{typed[0]}, exp 12/29",
        f"番号{typed[5]}でお願いします",
        f"{typed[2]}",
        f"use {typed[3]} for the deposit",
    ]


def adversarial_cards(count: int = 30, seed: int = 20260613) -> list[tuple[str, str]]:
    """(text, card digits) of cards written as bench/dlp/adversarial.py writes them."""
    rng = random.Random(seed)
    found: list[tuple[str, str]] = []
    while len(found) < count:
        piece = adversarial_card(rng, rng.choice(["en", "ja"]))
        core = piece.text[piece.lead : len(piece.text) - piece.trail]
        digits = re.sub("[^0-9]", "", skeleton(core).text)
        found.append((f"my card: {piece.text} thanks", digits))
    return found


ADVERSARIAL = adversarial_cards()
CORPUS = [s for number in CARDS.values() for s in sentences(number)] + [t for t, _ in ADVERSARIAL]
ALL_DIGITS = {**CARDS, **{f"adversarial-{n}": d for n, (_, d) in enumerate(ADVERSARIAL)}}
# Addresses carrying a card number: refused wherever an address is taken.
CARD_ADDRESSES = [
    "4111111111111111@example.com",
    "4111-1111-1111-1111@example.com",
    "card.5555.5555.5555.4444@example.net",
    "３７８２８２２４６３１０００５@example.org",
]
# User-Agents a client could send (HTTP headers are Latin-1).
CARD_USER_AGENTS = [f"Mozilla/5.0 (card {f})" for f in formats(CARDS["visa"])[:4]] + [
    f"curl/8.0 {t}" for t in CORPUS if t.isascii() and t.isprintable()
][:6]

_TOOLS = "tests/desk/test_tools.py::test_card_numbers_never_survive_the_tools"

# Which step below sends a card through each path of hisho/inbound_paths.py (every path
# that can carry free text must be here, and this list must name only real paths).
EXERCISED = {
    "accounts.User.name": "PATCH /me, web /me/",
    "accounts.User.sealed_phone": "PATCH /me, web /me/",
    "accounts.User.sealed_mailing_address": "PATCH /me, web /me/",
    "accounts.User.email": "sign-up, web and headless API (refused)",
    "account.EmailAddress.email": "sign-up, web and headless API (refused)",
    "email:sign-up": "sign-up, web and headless API (refused)",
    "usersessions.UserSession.user_agent": "signing in with a card in the User-Agent",
    "header:User-Agent": "every request of the corpus loop",
    "privacy.ConnectionRecord.user_agent": "every request of the corpus loop",
    "desk.Errand.sealed_title": "POST /errands, web /errands/new/",
    "desk.Errand.sealed_details": "POST /errands, web /errands/new/",
    "desk.Errand.sealed_phone": "POST /errands",
    "desk.Errand.sealed_address": "POST /errands",
    "desk.Errand.sealed_note": "POST /errands, web /errands/new/",
    "desk.Errand.sealed_triage_note": "POST /errands",
    "desk.Message.sealed_body": "POST …/messages, web …/messages/",
    "websocket:message": "test_chat_over_the_websocket",
    "desk.InternalNote.sealed_body": _TOOLS,
    "desk.Rating.sealed_comment": _TOOLS,
    "desk.Label.name_en": _TOOLS,
    "desk.Label.name_ja": _TOOLS,
    "desk.CannedReply.title": _TOOLS,
    "desk.CannedReply.body_en": _TOOLS,
    "desk.CannedReply.body_ja": _TOOLS,
    "payments.PaymentRequest.sealed_description": "POST …/payment-requests",
    "mfa.Authenticator.data": "test_a_passkey_name_is_masked_however_it_is_saved",
    "socialaccount.SocialAccount.extra_data": (
        "tests/security/test_social_facebook.py::"
        "test_card_numbers_in_what_facebook_returns_are_masked"
    ),
    "outreach.Campaign.questions": "POST /outreach/campaigns (survey questions)",
    "outreach.Campaign.subject_en": "POST /outreach/campaigns",
    "outreach.Campaign.subject_ja": "POST /outreach/campaigns",
    "outreach.Campaign.body_en": "POST /outreach/campaigns",
    "outreach.Campaign.body_ja": "POST /outreach/campaigns",
    "outreach.SurveyAnswer.text": (
        "tests/outreach/test_surveys.py::"
        "test_answers_are_kept_apart_from_people_and_shown_only_as_aggregates"
    ),
    "partners.Offer.title": "POST /partner/offers",
    "partners.Offer.body": "POST /partner/offers",
    "partners.Offer.url": "POST /partner/offers",
    "push.PushSubscription.endpoint": (
        "tests/push/test_subscriptions.py::test_an_endpoint_carrying_a_card_is_refused"
    ),
    "legal.DisclosureCase.authority": "POST /legal/cases",
    "legal.DisclosureCase.legal_basis": "POST /legal/cases",
    "legal.DisclosureCase.reference": "POST /legal/cases",
    "legal.DisclosureCase.deferral_reason": "POST /legal/cases/{id}/defer-notice",
    "legal.DisclosureCase.rejection_reason": "POST /legal/cases/{id}/reject",
    "privacy.PolicyVersion.changes_en": "web /staff/privacy/",
    "privacy.PolicyVersion.changes_ja": "web /staff/privacy/",
    "text:contact-message": "web /privacy/contact/",
    "email:contact-reply-to": "web /privacy/contact/ (refused)",
    "mail:console": "every mail of the test, printed by the configured console backend",
    "log:application": "every log record of the test, through the configured handler",
    "error-report": "an error report of a request carrying the corpus",
    "url:path-and-query": "test_a_real_asgi_server_logs_no_card",
    "attachments.Attachment.sealed_name": "POST …/attachments, web …/attachments/ (refused)",
    "file:pdf-text": "POST …/attachments (refused)",
    "file:audio-tags": (
        "tests/attachments/test_api.py::test_bad_input_is_refused_and_nothing_is_stored"
    ),
    "sessions.Session.session_data": (
        "tests/security/test_sessions.py::"
        "test_a_post_suspended_for_a_fresh_sign_in_keeps_no_card_number"
    ),
}


def fit(text: str, limit: int) -> str:
    """``text`` if a field of ``limit`` characters takes it whole, else a plain card that
    fits (cutting a card would leave a number that is no longer a card)."""
    return text if len(text) <= limit else f"card {CARDS['visa']}"


def assert_no_card(values: Any, where: str) -> None:
    """No card's digits in any one value, whatever separates them: each value is read as
    its skeleton's digits only (invisible characters dropped, every script's digits
    folded), so "4111・1111\u200b1111…" is caught as surely as "4111111111111111"."""
    for value in [values] if isinstance(values, str) else values:
        digits = re.sub("[^0-9]", "", skeleton(unicodedata.normalize("NFKC", value)).text)
        for name, number in ALL_DIGITS.items():
            assert number not in digits, f"{name} card number survived in {where}: {value!r}"


def dump_database() -> list[str]:
    """Every value of every table, as text (binary columns decoded leniently)."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        values.append(str(value))
    return values


def test_every_path_of_the_registry_is_exercised() -> None:
    free_text = {label for label, how in all_paths().items() if not isinstance(how, NoFreeText)}
    assert sorted(free_text - set(EXERCISED)) == [], "send a card through these paths too"
    assert sorted(set(EXERCISED) - free_text) == []


@pytest.fixture
def layer_payloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Everything handed to the channel layer (Redis when scaled) during the test."""
    layer = get_channel_layer()
    carried: list[Any] = []
    real_group_send = layer.group_send

    async def recording(group: str, message: Any) -> None:
        carried.append(json.dumps([group, message], default=str, ensure_ascii=False))
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recording)
    yield carried


@pytest.fixture
def key_cache_emptied_after() -> Iterator[None]:
    """The test runs the on-commit callbacks of a transaction that is then rolled back;
    among them the vault's key cache fills: empty it, so no later test sees those keys."""
    yield
    store().cache.clear()


def configured_log_output(records: list[logging.LogRecord]) -> list[str]:
    """The records as the configured console handler writes them (its masking filter)."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    lines = []
    for record in records:
        copy = logging.makeLogRecord(record.__dict__)
        if handler.filter(copy):
            lines.append(handler.format(copy))
    return lines


def test_card_numbers_never_survive_any_input_path(
    demo: Demo,
    api_as: Any,
    web_as: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    settings: Any,
    layer_payloads: list[Any],
    changed_policy: Any,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
    key_cache_emptied_after: None,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.EMAIL_BACKEND = "hisho.redaction.MaskingConsoleEmailBackend"
    settings.HISHO_PRIVACY_CONTACT_EMAIL = "dpo@hisho.example"
    changed_policy(new_purpose)
    alice_api, kenji_api = api_as("alice"), api_as("kenji")
    admin_api, admin2_api = api_as("admin"), api_as("admin2")
    partner_api = api_as("partner")
    alice_web, kenji_web = web_as("alice"), web_as("kenji")
    errand = demo.alice_errand
    responses: list[str] = []

    def keep(response: Any) -> Any:
        responses.append(response.content.decode("utf-8", "replace"))
        return response

    with django_capture_on_commit_callbacks(execute=True):
        for n, text in enumerate(CORPUS):
            user_agent = CARD_USER_AGENTS[n % len(CARD_USER_AGENTS)]
            for client in (alice_api, kenji_api, admin_api, admin2_api):
                client.headers["User-Agent"] = user_agent
            # API: errand title, details, every sealed field and the coordinators' note;
            # chat both ways; the profile.
            created = keep(
                alice_api.post(
                    "/errands",
                    {
                        "title": text,
                        "details": text,
                        "triage_note": fit(text, 140),
                        "sealed": {"phone": fit(text, 40), "address": text, "note": text},
                    },
                )
            )
            assert created.status_code == 201, created.content
            for client in (alice_api, kenji_api):
                posted = keep(client.post(f"/errands/{errand.pk}/messages", {"body": text}))
                assert posted.status_code == 201
                assert posted.json()["notice"], "the sender is told that the number was removed"
            keep(alice_api.patch("/me", {"name": fit(text, 150), "mailing_address": text}))
            keep(alice_api.patch("/me", {"phone": fit(text, 40)}))
            # The assistant asks for a payment, describing it with the text.
            if n % 5 == 0:
                requested = keep(
                    kenji_api.post(
                        f"/errands/{errand.pk}/payment-requests",
                        {"amount": 1200, "currency": "JPY", "description": fit(text, 200)},
                    )
                )
                assert requested.status_code == 201, requested.content

            # Web forms: new errand, chat message, profile; the contact form.
            if n % 3 == 0:
                keep(
                    alice_web.post("/errands/new/", {"title": text, "details": text, "note": text})
                )
                keep(kenji_web.post(f"/errands/{errand.pk}/messages/", {"body": text}))
                keep(alice_web.post("/me/", {"name": fit(text, 150), "mailing_address": text}))
                keep(
                    Client(headers={"User-Agent": user_agent}).post(
                        "/privacy/contact/",
                        {"topic": "question", "reply_to": "v@example.net", "message": text},
                    )
                )

            # Legal disclosure cases, typed by admins.
            if n % 7 == 0:
                case = keep(
                    admin_api.post(
                        "/legal/cases",
                        {
                            "authority": fit(text, 200),
                            "legal_basis": text,
                            "reference": fit(text, 100),
                            "person_id": demo.people["bob"].pk,
                            "categories": ["errands"],
                            "period_start": "2026-01-01",
                            "period_end": "2026-02-01",
                            "deadline": "2099-01-01",
                        },
                    )
                )
                assert case.status_code == 201, case.content
                path = f"/legal/cases/{case.json()['id']}"
                keep(
                    admin_api.post(
                        f"{path}/defer-notice", {"until": "2099-01-01T00:00:00Z", "reason": text}
                    )
                )
                keep(admin2_api.post(f"{path}/reject", {"reason": text}))
                # A newsletter written by an admin (a draft: nothing is sent here).
                campaign = keep(
                    admin_api.post(
                        "/outreach/campaigns",
                        {
                            "kind": "newsletter",
                            "subject": {"en": fit(text, 200), "ja": fit(text, 200)},
                            "body": {"en": text, "ja": text},
                        },
                    )
                )
                assert campaign.status_code == 201, campaign.content
                # A survey whose questions and options an admin typed.
                question = {"en": fit(text, 200), "ja": fit(text, 200)}
                survey = keep(
                    admin_api.post(
                        "/outreach/campaigns",
                        {
                            "kind": "survey",
                            "subject": {"en": "Survey", "ja": "アンケート"},
                            "body": {"en": "Tell us", "ja": "教えてください"},
                            "questions": [
                                {"kind": "text", "text": question},
                                {
                                    "kind": "choice",
                                    "text": question,
                                    "options": [question, question],
                                },
                            ],
                        },
                    )
                )
                assert survey.status_code == 201, survey.content
                # A partner's offer: its title, text and link.
                offer = keep(
                    partner_api.post(
                        "/partner/offers",
                        {
                            "title": fit(text, 120),
                            "body": fit(text, 1000),
                            "url": f"https://partner.example/deal?ref={quote(fit(text, 200))}",
                            "categories": [],
                            "language": "en",
                        },
                    )
                )
                assert offer.status_code in (201, 422), offer.content

        # Files: a card in the name (API and web form) or in a PDF's text refuses the file.
        for number in CARDS.values():
            for typed in formats(number):
                for client, path in (
                    (alice_api.client, f"/api/v1/errands/{errand.pk}/attachments"),
                    (kenji_web, f"/errands/{errand.pk}/attachments/"),
                ):
                    headers = alice_api.headers if client is alice_api.client else {}
                    named = keep(
                        client.post(
                            path,
                            {
                                "file": attachment_samples.upload(
                                    f"scan {typed}.png", attachment_samples.png()
                                )
                            },
                            headers=headers,
                        )
                    )
                    assert named.status_code in (302, 422), named.content
            text_pdf = attachment_samples.pdf(f"Card {formats(number)[1]}")
            refused = keep(
                alice_api.client.post(
                    f"/api/v1/errands/{errand.pk}/attachments",
                    {"file": attachment_samples.upload("bill.pdf", text_pdf)},
                    headers=alice_api.headers,
                )
            )
            assert refused.status_code == 422, refused.content
        assert not Attachment.objects.exists()

        # What changed in the policy, in both languages (everyone is then e-mailed).
        text = CORPUS[1]
        published = keep(
            web_as("admin").post("/staff/privacy/", {"changes_en": text, "changes_ja": text})
        )
        assert published.status_code == 302, published.content

        # Addresses carrying a card number are refused: sign-up on the web and over the
        # headless API, and the contact form's reply-to. The refusal shows no card either.
        for address in CARD_ADDRESSES:
            signup = keep(
                Client().post(
                    "/_allauth/app/v1/auth/signup",
                    json.dumps({"email": address, "password": "a-long-passphrase-42"}),
                    content_type="application/json",
                )
            )
            assert signup.status_code == 400, signup.content
            assert signup.json()["errors"][0]["param"] == "email"
            page = keep(
                Client().post(
                    "/accounts/signup/",
                    {
                        "email": address,
                        "password1": "a-long-passphrase-42",
                        "password2": "a-long-passphrase-42",
                    },
                )
            )
            assert page.status_code == 200 and 'aria-invalid="true"' in page.content.decode()
            contact = keep(
                Client().post(
                    "/privacy/contact/",
                    {"topic": "question", "reply_to": address, "message": CORPUS[0]},
                )
            )
            assert contact.status_code == 200 and 'aria-invalid="true"' in contact.content.decode()

        # Signing in keeps the User-Agent in the person's session list (allauth).
        for user_agent in CARD_USER_AGENTS[:3]:
            signed_in = keep(
                Client(headers={"User-Agent": user_agent}).post(
                    "/_allauth/app/v1/auth/login",
                    json.dumps({"email": email_of("alice"), "password": DEMO_PASSWORD}),
                    content_type="application/json",
                )
            )
            assert signed_in.status_code == 200, signed_in.content
    run_worker()  # the policy e-mails

    alice = demo.people["alice"]
    alice.refresh_from_db()
    unsealed: list[str] = []
    for own in Errand.objects.filter(customer=alice):
        content, sealed = read_content(P(alice), own), read_sealed(P(alice), own)
        unsealed += [
            content.title,
            content.details,
            own.summary,
            sealed.phone or "",
            sealed.address or "",
            sealed.note or "",
        ]
        unsealed += [m.body for m in read_messages(P(alice), own, limit=10_000)]
    assert any("••••1111" in value for value in unsealed), "masks keep the last four digits"
    assert alice_api.get("/me").json()["name"]

    # An error report of a request that carried the corpus.
    request = RequestFactory().post("/errands/new/", {"title": CORPUS, "details": CORPUS[-1]})
    try:
        raise ValueError("boom")
    except ValueError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        reporter.filter = MaskingExceptionReporterFilter()
        report = reporter.get_traceback_text()

    printed = capsys.readouterr().out
    assert "dpo@hisho.example" in printed, "the console backend printed the mail"
    assert_no_card(unsealed, "unsealed content")
    assert_no_card(dump_database(), "the database")
    assert_no_card(layer_payloads, "the channel layer")
    assert_no_card([r.getMessage() for r in caplog.records], "the log records")
    assert_no_card(configured_log_output(caplog.records), "the application log")
    assert_no_card(printed.split("-" * 79), "mail printed by the console backend")
    assert_no_card([m.message().as_string() for m in mail.outbox], "mail")
    assert_no_card(report.splitlines(), "an error report")
    assert_no_card(responses, "responses")


@pytest.mark.django_db(transaction=True)
def test_chat_over_the_websocket(demo: Demo, web_as: Any, layer_payloads: list[Any]) -> None:
    """The websocket path: the same action, the same masking; neither the frames, the
    channel layer nor the database hold a card."""
    from tests.desk.test_live import chat_path, connected, frame, socket

    alice_cookie = web_as("alice").cookies[settings_cookie()].value
    errand = demo.alice_errand
    frames: list[str] = []

    async def scenario() -> None:
        alice = await connected(socket(chat_path(errand), cookie=alice_cookie))
        for n, text in enumerate(CORPUS[::3]):
            await alice.send_json_to({"type": "message.post", "ref": f"r{n}", "body": text})
            ack = await frame(alice)
            assert ack["type"] == "posted", ack
            frames.append(json.dumps(ack, ensure_ascii=False))
        await alice.disconnect()

    async_to_sync(scenario)()
    bodies = [m.body for m in read_messages(P(demo.people["alice"]), errand, limit=10_000)]
    assert Message.objects.filter(errand=errand).count() >= len(CORPUS[::3])
    assert_no_card(frames, "websocket frames")
    assert_no_card(bodies, "unsealed messages")
    assert_no_card(layer_payloads, "the channel layer")
    assert_no_card(dump_database(), "the database")


def settings_cookie() -> str:
    from django.conf import settings

    name: str = settings.SESSION_COOKIE_NAME
    return name


# --- a real ASGI server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _card_urls() -> list[str]:
    """Paths and queries carrying card numbers the ways a client can write them."""
    quote, quote_plus = urllib.parse.quote, urllib.parse.quote_plus
    urls = []
    for text in CORPUS[::2]:
        urls.append(f"/errands/?q={quote(text)}")  # %20, %E3%80%80, %E2%80%8B...
        urls.append(f"/privacy/?{urllib.parse.urlencode({'note': text})}")  # "+" for spaces
    for number in CARDS.values():
        urls.append(f"/errands/{number}/")
        urls.append(f"/errands/{quote(' '.join([number[:4], number[4:]]))}/x")
        urls.append(f"/x?c={quote(quote(number[:8] + ' ' + number[8:]))}")  # %2520
        urls.append(f"/x?c={quote_plus(number[:4] + ' ' + number[4:])}&d=1")
    return urls


def _websocket_handshake(port: int, path: str) -> None:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request.encode("ascii"))
        conn.recv(4096)


def test_a_real_asgi_server_logs_no_card(tmp_path: Path) -> None:
    """uvicorn, as `make serve` and scripts/scaled.py start it: its access log (and its
    websocket lines) go through the same masking, and the connection records it keeps
    hold no card from the User-Agent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="hisho.settings",
        HISHO_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    python = sys.executable
    subprocess.run(  # noqa: S603
        [python, "-m", "hisho", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603
            [
                python,
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
            urls = _card_urls()
            for n, url in enumerate(urls):
                agent = CARD_USER_AGENTS[n % len(CARD_USER_AGENTS)]
                request = urllib.request.Request(base + url, headers={"User-Agent": agent})  # noqa: S310
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(request, timeout=30).close()  # noqa: S310
            for number in list(CARDS.values())[:3]:
                _websocket_handshake(port, f"/ws/v1/errands/{number}/")
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = log_path.read_text("utf-8", "replace").splitlines()
    access = [line for line in lines if "uvicorn.access" in line]
    assert len(access) >= len(urls), "the access log is on, and every request is in it"
    assert any("[card ••••" in line for line in access), lines[-5:]
    assert any("WebSocket" in line for line in lines)
    assert_no_card(lines, "the ASGI server's log")

    with sqlite3.connect(tmp_path / "hisho.sqlite3") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        values = [
            str(value)
            for table in tables
            for row in db.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            for value in row
            if value is not None
        ]
    assert any("••••1111" in value for value in values), "the User-Agent was kept, masked"
    assert_no_card(values, "the server's database")


def test_card_notice_speaks_the_senders_language(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    alice.patch("/me", {"language": "ja"})
    posted = alice.post(
        f"/errands/{demo.alice_errand.pk}/messages", {"body": "カード 4111 1111 1111 1111"}
    )
    assert "カード番号は保存しません" in posted.json()["notice"]
    plain = alice.post(f"/errands/{demo.alice_errand.pk}/messages", {"body": "no card here"})
    assert plain.json().get("notice") is None


def test_triage_summary_hides_phones_emails_and_my_numbers(demo: Demo, api_as: Any) -> None:
    created = (
        api_as("bob")
        .post(
            "/errands",
            {
                "title": "Book the Tsukiji sushi counter",
                "triage_note": "Call 090-1234-5678 or write to bob@example.com",
            },
        )
        .json()
    )
    triage = api_as("admin").get(f"/errands/{created['id']}").json()
    assert triage["summary"] == "Other: Call [phone] or write to [email]"
    assert triage["triage_note"] == "Call [phone] or write to [email]"
    assert "Tsukiji" not in str(triage)  # the title never reaches triage


def test_triage_note_reads_phones_the_way_the_senders_country_writes_them(
    demo: Demo, api_as: Any
) -> None:
    # Ten bare digits are a US number only for someone from the US (hisho.inbound.regions_of).
    bob = api_as("bob")
    note = "call me at 6175725961 tonight"
    before = bob.post("/errands", {"title": "Dinner", "triage_note": note}).json()
    assert api_as("admin").get(f"/errands/{before['id']}").json()["triage_note"] == note
    assert bob.patch("/me", {"country": "US"}).status_code == 200
    after = bob.post("/errands", {"title": "Dinner", "triage_note": note}).json()
    triage = api_as("admin").get(f"/errands/{after['id']}").json()
    assert triage["triage_note"] == "call me at [phone] tonight"


def test_a_passkey_name_is_masked_however_it_is_saved(demo: Demo) -> None:
    """allauth keeps a passkey's name, typed on its page or through the headless API, in
    the authenticator's JSON data: masked as the row is saved."""
    from allauth.mfa.models import Authenticator

    for name, number in list(CARDS.items())[:3]:
        authenticator = Authenticator.objects.create(
            user=demo.people["alice"],
            type=Authenticator.Type.WEBAUTHN,
            data={"name": f"my {name} {number}", "credential": {}},
        )
        stored = Authenticator.objects.get(pk=authenticator.pk).data["name"]
        assert_no_card(stored, "a passkey's name")
        assert stored.startswith(f"my {name} [card")


def test_a_card_typed_as_a_json_key_is_not_echoed_in_the_422(demo: Demo, api_as: Any) -> None:
    """An unknown key is the client's own text, named in the 422's `errors`: a card typed
    as a key comes back masked, like one typed as a value."""
    client = api_as("alice")
    for key in (
        "4111 1111 1111 1111",
        "４１１１１１１１１１１１１１１１",
        "note.4111-1111-1111-1111",
    ):
        response = client.post("/errands", {"title": "Tickets", "details": "two", key: 1})
        assert response.status_code == 422, response.content
        fields = [error["field"] for error in response.json()["errors"]]
        assert len(fields) == 1 and "••••1111" in fields[0], fields
        assert "411111111111" not in re.sub(r"\D", "", unicodedata.normalize("NFKC", fields[0]))
