"""A marker planted in an errand's title, details, sealed fields and messages never reaches
anyone but the errand's customer and its assistant (POLICY K7) — not admin, admin2, yuki
or a partner — through any response, page, websocket frame, e-mail or log line. One test
scans them all, while the errand lives a normal life: it is created, triaged, assigned,
chatted about, reassigned and its chat followed live."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core import mail
from django.test import Client

from hisho.demo import Demo, email_of
from hisho.desk.actions import (
    do_assign_errand,
    do_change_status,
    do_create_errand,
    do_post_message,
    do_reopen_errand,
)
from hisho.desk.tools.actions import do_add_internal_note, do_rate_errand
from tests.conftest import sign_in
from tests.desk.test_live import chat_path, frame_or_none, socket
from tests.test_every_page import concrete, patterns

pytestmark = pytest.mark.django_db(transaction=True)

MARKER = "QZX7731"
OUTSIDERS = ["admin", "admin2", "yuki", "partner"]


def planted(demo: Demo) -> Any:
    alice, admin, kenji = demo.people["alice"], demo.people["admin"], demo.people["kenji"]
    errand = do_create_errand(
        actor=alice,
        title=f"Title {MARKER} pickup at the clinic",
        details=f"Details {MARKER}: results for Taro Yamada",
        phone=f"090-1234-5678 ask for {MARKER}",
        address=f"3-2-1 Jingumae {MARKER}",
        note=f"Note {MARKER}",
        category="health",
        triage_note="A pickup, weekday mornings.",
    )
    errand = do_assign_errand(actor=admin, errand=errand, assistant_id=kenji.pk)
    do_post_message(actor=alice, errand=errand, body=f"Message {MARKER} from alice")
    do_post_message(actor=kenji, errand=errand, body=f"Reply {MARKER} from kenji")
    do_change_status(actor=kenji, errand=errand, status="in_progress")
    # Issue 18: kenji's internal note, and alice's rating comment (she rates the done
    # errand, then reopens it: it is back in progress with kenji).
    do_add_internal_note(actor=kenji, errand=errand, body=f"Internal {MARKER} gate code")
    do_change_status(actor=kenji, errand=errand, status="done")
    do_rate_errand(actor=alice, errand=errand, stars=2, comment=f"Comment {MARKER} too slow")
    do_reopen_errand(actor=alice, errand=errand)
    return errand


def api_operations() -> list[tuple[str, str]]:
    schema = Client().get("/api/v1/openapi.json").json()
    return sorted(
        (method, path.removeprefix("/api/v1"))
        for path, item in schema["paths"].items()
        for method in item
        if method == "get"
    )


def test_a_planted_marker_reaches_no_outsider(
    demo: Demo, web_as: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mail.outbox.clear()
    errand = planted(demo)
    samples = {
        "errand_id": str(errand.pk),
        "person_id": str(demo.people["alice"].pk),
        "object_id": str(demo.people["alice"].pk),
        "language": "en",
    }
    seen: dict[str, str] = {}

    # The API, every GET operation, as each outsider (signed in with their second factor).
    for handle in OUTSIDERS:
        headers = {"X-Session-Token": sign_in(handle)}
        for _method, path in api_operations():
            url = "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), "1"), path)
            response = Client(raise_request_exception=False).get(url, headers=headers)
            seen[f"{handle} API {url}"] = response.content.decode(errors="replace")
        # Their own export names no one else's content either.
        export = Client().get("/api/v1/me/export", headers=headers)
        seen[f"{handle} export"] = export.content.decode(errors="replace")

    # Every page, as each outsider.
    urls = sorted({concrete(p, samples) for p in patterns()})
    for handle in OUTSIDERS:
        client = web_as(handle)
        client.raise_request_exception = False
        for url in urls:
            seen[f"{handle} page {url}"] = client.get(url).content.decode(errors="replace")

    # The live chat: outsiders are refused; were they not, any frame is captured.
    tokens = {handle: sign_in(handle) for handle in OUTSIDERS}

    async def sockets() -> None:
        for handle in OUTSIDERS:
            comm = socket(chat_path(errand), token=tokens[handle])
            ok, _ = await comm.connect(timeout=3)
            if ok:
                seen[f"{handle} socket"] = json.dumps(await frame_or_none(comm))
            await comm.disconnect()

    async_to_sync(sockets)()

    # The errand moves on while outsiders watch: reassigned to yuki by admin2, then back.
    do_assign_errand(
        actor=demo.people["admin2"], errand=errand, assistant_id=demo.people["yuki"].pk
    )
    do_assign_errand(
        actor=demo.people["admin2"], errand=errand, assistant_id=demo.people["kenji"].pk
    )

    # E-mails to outsiders, and every log line of the whole run.
    outsider_addresses = {email_of(h) for h in OUTSIDERS}
    for message in mail.outbox:
        if set(message.to) & outsider_addresses:
            seen[f"mail to {message.to}"] = f"{message.subject}\n{message.body}"
    seen["logs"] = "\n".join(record.getMessage() for record in caplog.records)
    seen["log tracebacks"] = "\n".join(str(r.exc_text or "") for r in caplog.records)

    leaks = [where for where, text in seen.items() if MARKER in text]
    assert len(seen) > 800, len(seen)  # it really looked everywhere
    assert not leaks, "the marker reached:\n" + "\n".join(leaks)

    # And the marker is really there for the people it belongs to.
    alice = Client().get(
        f"/api/v1/errands/{errand.pk}", headers={"X-Session-Token": sign_in("alice")}
    )
    assert MARKER in alice.content.decode()
    rating = Client().get(
        f"/api/v1/errands/{errand.pk}/rating", headers={"X-Session-Token": sign_in("alice")}
    )
    assert f"Comment {MARKER}" in rating.content.decode()
    notes = Client().get(
        f"/api/v1/errands/{errand.pk}/notes", headers={"X-Session-Token": sign_in("kenji")}
    )
    assert f"Internal {MARKER}" in notes.content.decode()
