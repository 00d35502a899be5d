"""Audit fixtures: tampering "directly in the database", as someone with the database's
owner rights would (on PostgreSQL that includes switching the append-only trigger off)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

on_postgresql = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(
    not on_postgresql, reason="the trigger exists on PostgreSQL only; this run is not on it"
)


TABLES = (
    "audit_auditevent",
    "audit_auditcheckpoint",
    "audit_audittreenode",
    "audit_audittreehead",
)


@contextmanager
def trigger_off() -> Iterator[None]:
    """Switch the append-only trigger off for the block (within the test's transaction)."""
    if on_postgresql:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if on_postgresql:
            with connection.cursor() as cursor:
                for table in TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture
def raw_sql() -> Callable[..., Any]:
    """raw_sql("UPDATE …", [params]) with the trigger off: a database-level tamperer."""

    def run(sql: str, params: list[Any] | None = None) -> int:
        with trigger_off(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            return int(cursor.rowcount)

    return run
