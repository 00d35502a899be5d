"""The payment ledger is append-only in the database itself: UPDATE is refused on
PostgreSQL and SQLite alike. (DELETE stays possible for the retention job that ends the
legal minimum after its declared period; TRUNCATE and DELETE are kept from the
application's role with privileges in production, docs/payments.md.)"""

from django.db import migrations

POSTGRES = r"""
CREATE OR REPLACE FUNCTION hisho_payment_ledger_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the payment ledger is append-only: UPDATE refused'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER hisho_payment_ledger_guard
    BEFORE UPDATE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION hisho_payment_ledger_guard();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS hisho_payment_ledger_guard ON payments_ledgerentry;
DROP FUNCTION IF EXISTS hisho_payment_ledger_guard();
"""
SQLITE = """
CREATE TRIGGER hisho_payment_ledger_guard BEFORE UPDATE ON payments_ledgerentry
BEGIN SELECT RAISE(ABORT, 'the payment ledger is append-only: UPDATE refused'); END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS hisho_payment_ledger_guard;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
