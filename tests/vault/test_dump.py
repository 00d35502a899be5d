"""K6: a copy of the database — the SQLite file, or `pg_dump` of PostgreSQL — after the
demo and a journey through the API holds none of the plaintext customers gave."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from hisho.demo import load_demo
from tests.conftest import sign_in
from tests.openapi import ApiClient
from tests.vault.conftest import ALICE_SECRETS, ALICE_TITLE

# What the journey below gives; each string is distinctive enough to find in a dump.
JOURNEY = {
    "title": "Renew my zairyu card at the Shinagawa immigration bureau",
    "details": "My card expires on the 30th; I work weekdays until 18:00.",
    "phone": "080-4321-8765",
    "address": "5-5-30 Konan, Minato-ku",
    "note": "Passport number TZ1234567",
    "message": "Could you check whether they open on Saturdays?",
    "reply": "They do not; I reserved Monday 9:30 for you.",
    "profile_phone": "+81 70 2468 1357",
    "profile_address": "Flat 402, Harmony Heights",
}
DEMO_PLAINTEXT = [
    ALICE_TITLE,
    *ALICE_SECRETS,
    "Call my landlord about the broken heater",
    "The heater in the bedroom stopped working",
    "Find an English-speaking dentist near Umeda",
    "A filling came out",
]


def journey() -> None:
    """A customer asks for help with sealed details, an admin assigns kenji, they chat,
    and she fills in her profile — all through the API."""
    alice, kenji, admin = (ApiClient(sign_in(handle)) for handle in ("alice", "kenji", "admin"))
    created = alice.post(
        "/errands",
        {
            "title": JOURNEY["title"],
            "details": JOURNEY["details"],
            "sealed": {k: JOURNEY[k] for k in ("phone", "address", "note")},
        },
    )
    assert created.status_code == 201, created.content
    errand_id = created.json()["id"]
    kenji_id = load_demo().people["kenji"].pk
    assign = admin.post(f"/errands/{errand_id}/assign", {"assistant_id": kenji_id})
    assert assign.status_code == 200
    posted = alice.post(f"/errands/{errand_id}/messages", {"body": JOURNEY["message"]})
    assert posted.status_code == 201
    assert kenji.get(f"/errands/{errand_id}/sealed").json()["phone"] == JOURNEY["phone"]
    replied = kenji.post(f"/errands/{errand_id}/messages", {"body": JOURNEY["reply"]})
    assert replied.status_code == 201
    me = alice.patch(
        "/me",
        {"phone": JOURNEY["profile_phone"], "mailing_address": JOURNEY["profile_address"]},
    )
    assert me.json()["phone"] == JOURNEY["profile_phone"]


def assert_holds_no_plaintext(dump: bytes) -> None:
    assert b"alice@example.com" in dump  # the copy is real: unsealed data is in it
    for text in (*DEMO_PLAINTEXT, *JOURNEY.values()):
        assert text.encode() not in dump, text
    # Not even pieces of it: the distinctive words, in UTF-8.
    for word in ("Shibuya", "Jingumae", "zairyu", "Konan", "TZ1234567", "Harmony"):
        assert word.encode() not in dump, word


@pytest.fixture
def after_the_journey(transactional_db: None) -> None:
    # Committed for real (pg_dump and VACUUM INTO see only committed data); the
    # transactional test case empties the database afterwards.
    load_demo()
    journey()


def test_sqlite_file_holds_no_plaintext(after_the_journey: None, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite half; this run is on " + connection.vendor)
    copy = tmp_path / "copy.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(copy)])
    assert_holds_no_plaintext(copy.read_bytes())


def test_pg_dump_holds_no_plaintext(after_the_journey: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL half; this run is on " + connection.vendor)
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed on PostgreSQL"
    name = connection.settings_dict["NAME"]
    dumped: Any = subprocess.run(  # noqa: S603 - fixed arguments, our own test database
        [pg_dump, "-h", "127.0.0.1", "-U", "postgres", name],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert_holds_no_plaintext(dumped.stdout)
