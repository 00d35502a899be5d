"""A public leaf tells nothing: every entry's hashed document carries 128 random bits, so
an outsider who knows what an anonymous entry says (a failed sign-in names nobody) and
roughly when it happened cannot confirm it against the leaf the proof API serves. Entries
written before the salt keep their leaves; the verifier checks each entry's format; on
PostgreSQL the salt cannot be changed."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.test import Client

from hisho.audit import chain, merkle
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from hisho.signing.canonical import canonical_json
from tests.audit.conftest import postgresql_only
from tests.audit.test_trigger import refused
from tests.old_databases import run_on_own_sqlite


def failed_sign_in() -> None:
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        {"email": "nobody-here@example.com", "password": "wrong-password-1"},
        content_type="application/json",
    )
    assert response.status_code in (400, 401)


def public_leaf(index: int, size: int) -> bytes:
    response = Client().get(f"/api/v1/audit/proof/inclusion?index={index}&size={size}")
    assert response.status_code == 200
    return base64.b64decode(response.json()["leaf_hash"])


def anonymous(at: dt.datetime, event: str, version: int) -> SimpleNamespace:
    """An entry that names nobody, as chain.hashed_document reads it, with no salt."""
    return SimpleNamespace(
        version=version,
        leaf_index=None,
        prev_hash="",
        salt="",
        at=at,
        event=event,
        actor_ref="",
        target_type="",
        target_id="",
        target_ref="",
        extra={},
        extra_refs={},
    )


def guesses(entry: Any) -> list[bytes]:
    """What an outsider who knows the event and its time to the microsecond can hash:
    the document with no salt, under every version number."""
    made = []
    for version in chain.VERSIONS:
        document = chain.hashed_document(anonymous(entry.at, entry.event, version))
        document.pop("salt", None)
        made.append(merkle.leaf_hash(canonical_json(document)))
    return made


def test_the_leaf_of_a_failed_sign_in_cannot_be_confirmed_by_guessing(demo: Demo) -> None:
    failed_sign_in()
    entry = AuditEvent.objects.filter(event="auth.login_failed").latest("id")
    assert entry.actor_ref == "" and entry.target_ref == "" and entry.extra == {}
    head = do_write_checkpoint()
    assert head is not None
    entry.refresh_from_db()
    assert entry.leaf_index is not None
    leaf = public_leaf(entry.leaf_index, head.size)
    assert leaf.hex() == entry.leaf_hash
    # The outsider knows the event and the microsecond; they still cannot confirm it.
    assert leaf not in guesses(entry)
    # ... and the bytes hashed hold 128 bits they do not know.
    assert chain.is_salt(entry.salt) and entry.salt.encode() in chain.leaf_data(entry)


def test_every_entry_gets_its_own_salt(demo: Demo) -> None:
    entries = [record_event("test.same", actor=None) for _ in range(50)]
    salts = {entry.salt for entry in entries}
    assert len(salts) == 50 and all(chain.is_salt(s) for s in salts)
    # Same event, same kind of moment: still 50 different leaves.
    assert len({entry.leaf_hash for entry in entries}) == 50


def test_the_verifier_names_an_entry_with_a_missing_or_malformed_salt(
    demo: Demo, raw_sql: Any
) -> None:
    record_event("test.salted", actor=None)
    do_write_checkpoint()
    assert verify_log().ok
    victim = AuditEvent.objects.filter(event="test.salted").get()
    # A tamperer who writes a guessable entry and rehashes it: the hash checks, the
    # format does not.
    for salt, why in (("", "its salt is not 128 random bits"), ("A" * 32, "not 128 random")):
        victim.salt = salt
        raw_sql(
            "UPDATE audit_auditevent SET salt = %s, leaf_hash = %s WHERE id = %s",
            [salt, chain.leaf_hash(victim), victim.pk],
        )
        reasons = [p.reason for p in verify_log().problems if p.entry_id == victim.pk]
        assert any(why in reason for reason in reasons), reasons
    raw_sql("UPDATE audit_auditevent SET version = 9 WHERE id = %s", [victim.pk])
    reasons = [p.reason for p in verify_log().problems if p.entry_id == victim.pk]
    assert "unknown entry version 9" in reasons


def rewrite_unsalted(raw_sql: Any, entry: AuditEvent, version: int) -> None:
    """A tamperer makes an entry guessable: no salt, and the leaf hash to match."""
    entry.version, entry.salt = version, ""
    raw_sql(
        "UPDATE audit_auditevent SET version = %s, salt = '', leaf_hash = %s WHERE id = %s",
        [version, chain.leaf_hash(entry), entry.pk],
    )


def reasons_for(entry: AuditEvent) -> list[str]:
    return [p.reason for p in verify_log().problems if p.entry_id == entry.pk]


def test_an_unsalted_entry_after_salted_ones_is_named(demo: Demo, raw_sql: Any) -> None:
    """Passing a rewritten entry off as one of the old, unsalted version does not help:
    record_event has written only salted entries since the first one."""
    record_event("test.salted", actor=None)
    victim = record_event("auth.login_failed", actor=None)
    do_write_checkpoint()
    rewrite_unsalted(raw_sql, victim, chain.TREE_VERSION)
    assert "an unsalted entry after salted ones" in reasons_for(victim)


def test_pending_entries_are_format_checked_too(demo: Demo, raw_sql: Any) -> None:
    do_write_checkpoint()
    pending = record_event("auth.login_failed", actor=None)
    rewrite_unsalted(raw_sql, pending, chain.SALTED_VERSION)
    assert reasons_for(pending) == ["its salt is not 128 random bits"]
    rewrite_unsalted(raw_sql, pending, chain.TREE_VERSION)
    assert reasons_for(pending) == ["an unsalted entry after salted ones"]


@postgresql_only
def test_postgresql_refuses_a_change_of_salt(demo: Demo) -> None:
    entry = record_event("test.salted", actor=None)
    assert "append-only" in refused(
        "UPDATE audit_auditevent SET salt = %s WHERE id = %s", ["0" * 32, entry.pk]
    )
    assert connection.vendor == "postgresql"


@postgresql_only
def test_postgresql_takes_salted_entries_only(demo: Demo) -> None:
    """Even a plain INSERT, which needs no owner rights: an unsalted or badly salted
    entry never enters the log."""
    insert = (
        "INSERT INTO audit_auditevent (version, salt, at, event, target_type, target_id,"
        " extra, actor_ref, target_ref, extra_refs, prev_hash, leaf_hash)"
        " VALUES (%s, %s, now(), 'auth.login_failed', '', '', '{}', '', '', '{}', '', %s)"
    )
    for version, salt in ((2, ""), (3, ""), (3, "A" * 32), (3, "0" * 31), (4, "0" * 32)):
        assert "salted entries only" in refused(insert, [version, salt, "0" * 64])
    assert record_event("test.salted", actor=None).version == chain.SALTED_VERSION


MIGRATION_SCRIPT = r"""
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The log as it was before the salt: entries of version 2.
call_command("migrate", "audit", "0004", verbosity=0)
old = MigrationExecutor(connection).loader.project_state([("audit", "0004_merkle_tree")]).apps
OldEvent = old.get_model("audit", "AuditEvent")
from hisho.audit import chain
for n in range(5):
    entry = OldEvent(version=2, at=timezone.now(), event="old.entry", extra={"n": n})
    entry.leaf_hash = chain.leaf_hash(entry)
    entry.save()
before = dict(OldEvent.objects.values_list("id", "leaf_hash"))

call_command("migrate", verbosity=0)

from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent
from hisho.audit.verify import verify_log
record_event("new.entry", actor=None)
do_write_checkpoint()
report = verify_log()
print("ok", report.ok, [p.reason for p in report.problems])
print("kept", all(AuditEvent.objects.get(pk=k).leaf_hash == v for k, v in before.items()))
mine = AuditEvent.objects.filter(event__in=["old.entry", "new.entry"])
print("versions", sorted(set(mine.values_list("event", "version"))))
print("salted", [chain.is_salt(e.salt) for e in AuditEvent.objects.filter(event="new.entry")])
try:
    call_command("migrate", "audit", "0004", verbosity=0)
except RuntimeError as exc:
    print("reverse", exc)
print("still", AuditEvent.objects.filter(event="new.entry").values_list("version", flat=True)[0])
connection.close()
"""


def test_entries_written_before_the_salt_keep_their_leaves_and_verify(tmp_path: Path) -> None:
    result = run_on_own_sqlite(MIGRATION_SCRIPT, tmp_path / "old.sqlite3", tmp_path / "var")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        "ok True []",
        "kept True",
        "versions [('new.entry', 3), ('old.entry', 2)]",
        "salted [True]",
        "reverse audit/0005 cannot be reversed: salted entries exist, and their leaves "
        "could never be checked again without their salts",
        "still 3",
    ]


def test_guesses_do_confirm_an_unsalted_leaf() -> None:
    """The guessing above is the real attack: against an entry of version 2 (no salt) it
    finds the leaf."""
    at = dt.datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=dt.UTC)
    entry = anonymous(at, "auth.login_failed", chain.TREE_VERSION)
    assert merkle.leaf_hash(chain.leaf_data(entry)) in guesses(entry)
