"""POLICY K9: a card number sent through any input path is masked to its last four digits
before it is stored, logged or sent on; the sender is told why.

A corpus of card numbers (every brand, many ways of typing them) goes through the web
forms and the API into every text field a person can fill; afterwards neither the
database (raw values, and the unsealed content read back by its owner) nor the captured
logs nor any response hold the digits of any of them.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

import pytest
from django.db import connection

from hisho.demo import Demo
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand
from tests.principals import P

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


CORPUS = [s for number in CARDS.values() for s in sentences(number)]


def squashed(text: str) -> str:
    """The text as digits would be compared: NFKC (full-width → ASCII), then without the
    separators people type inside a card number. Anything else still separates numbers,
    so masks like "[card ••••1111]" next to each other never join into a false match."""
    return re.sub(r"[\s\-.]", "", unicodedata.normalize("NFKC", text))


def assert_no_card(text: str, where: str) -> None:
    found = squashed(text)
    for brand, number in CARDS.items():
        assert number not in found, f"{brand} card number survived in {where}"


def dump_database() -> str:
    """Every value of every table, as text (binary columns decoded leniently)."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        chunks.append(str(value))
                chunks.append("|")
    return " | ".join(chunks)


def test_card_numbers_never_survive_any_input_path(
    demo: Demo, api_as: Any, web_as: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    alice_api, kenji_api = api_as("alice"), api_as("kenji")
    alice_web, kenji_web = web_as("alice"), web_as("kenji")
    errand = demo.alice_errand
    responses: list[bytes] = []

    for n, text in enumerate(CORPUS):
        # API: errand title, details and every sealed field; chat both ways; the profile.
        created = alice_api.post(
            "/errands",
            {
                "title": text,
                "details": text,
                "sealed": {"phone": text[:40], "address": text, "note": text},
            },
        )
        assert created.status_code == 201, created.content
        responses.append(created.content)
        for client in (alice_api, kenji_api):
            posted = client.post(f"/errands/{errand.pk}/messages", {"body": text})
            assert posted.status_code == 201
            assert posted.json()["notice"], "the sender is told that the number was removed"
            responses.append(posted.content)
        profile = alice_api.patch("/me", {"name": text[:150], "mailing_address": text})
        responses.append(profile.content)

        # Web forms: new errand, chat message, profile.
        if n % 3 == 0:
            alice_web.post("/errands/new/", {"title": text, "details": text, "note": text})
            kenji_web.post(f"/errands/{errand.pk}/messages/", {"body": text})
            alice_web.post("/me/", {"name": text[:150], "mailing_address": text})

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

    assert_no_card("|".join(unsealed), "unsealed content")
    assert_no_card(dump_database(), "the database")
    assert_no_card("|".join(r.getMessage() for r in caplog.records), "the logs")
    assert_no_card("|".join(r.decode() for r in responses), "API responses")


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
