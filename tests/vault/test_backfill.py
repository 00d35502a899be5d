"""Rows written before the vault existed are sealed by the migrations, open exactly like
rows sealed by the actions, and leave no plaintext behind in the SQLite file."""

from __future__ import annotations

from pathlib import Path

from tests.old_databases import run_on_own_sqlite

SCRIPT = r"""
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The database as the core issue left it, with plaintext content in it.
call_command("migrate", "desk", "0001", verbosity=0)
call_command("migrate", "accounts", "0001", verbosity=0)
old = MigrationExecutor(connection).loader.project_state(
    [("desk", "0001_initial"), ("accounts", "0001_initial")]
).apps
OldUser = old.get_model("accounts", "User")
OldErrand, OldMessage = old.get_model("desk", "Errand"), old.get_model("desk", "Message")
carol = OldUser.objects.create(email="carol@example.com", role="customer", name="Carol",
                               phone="070-1111-2222", mailing_address="7 Pre-Vault Road")
ken = OldUser.objects.create(email="ken@example.com", role="assistant", name="Ken")
errand = OldErrand.objects.create(customer=carol, assignee=ken, status="assigned",
    summary="Fix my bicycle before the vault", title="Fix my bicycle before the vault",
    details="The back wheel wobbles", sealed_phone="070-3333-4444", sealed_note="Blue frame")
OldMessage.objects.create(errand=errand, author=carol, body="Legacy hello from Osaka")
OldMessage.objects.create(errand=errand, author=ken, body="Legacy reply about Kyoto")

call_command("migrate", verbosity=0)  # seals, drops the plaintext columns, vacuums

from tests.principals import P
from hisho.accounts.access import read_profile
from hisho.accounts.models import User
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand
carol, ken = User.objects.get(email="carol@example.com"), User.objects.get(email="ken@example.com")
errand = Errand.objects.get()
content, sealed = read_content(P(ken), errand), read_sealed(P(ken), errand)
profile = read_profile(P(carol), carol)
print("title", content.title)
print("details", content.details)
print("summary", errand.summary)
print("sealed", sealed.phone, sealed.address, sealed.note)
print("chat", [m.body for m in read_messages(P(carol), errand)])
print("profile", profile.phone, profile.mailing_address)
connection.close()
"""


def test_migrations_seal_existing_rows(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    result = run_on_own_sqlite(SCRIPT, database, tmp_path / "var")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        "title Fix my bicycle before the vault",
        "details The back wheel wobbles",
        "summary Other",  # the old summary (a copy of the title) is gone: category `other`
        "sealed 070-3333-4444 None Blue frame",
        "chat ['Legacy hello from Osaka', 'Legacy reply about Kyoto']",
        "profile 070-1111-2222 7 Pre-Vault Road",
    ]
    stored = database.read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("old.sqlite3-*")
    )
    for text in (
        "bicycle",
        "wobbles",
        "070-3333-4444",
        "Blue frame",
        "Osaka",
        "Kyoto",
        "070-1111-2222",
        "Pre-Vault",
    ):
        assert text.encode() not in stored, text
