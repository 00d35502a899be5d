"""Second payments on the books (LedgerKind.PAID_AGAIN, and their refunds), with the
provider's payment each is about.

SQLite cannot add a NOT NULL column with a default in place: Django rebuilds the table,
and the rebuilt table has none of the old one's triggers — the ledger would silently stop
being append-only. The guard of 0002 is put back after the rebuild."""

from django.db import migrations, models

SQLITE_GUARD = """
CREATE TRIGGER IF NOT EXISTS hisho_payment_ledger_guard BEFORE UPDATE ON payments_ledgerentry
BEGIN SELECT RAISE(ABORT, 'the payment ledger is append-only: UPDATE refused'); END;
"""


def restore_sqlite_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_checkout_url")]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="provider_payment_id",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("requested", "Requested"),
                    ("checkout_started", "Checkout Started"),
                    ("awaiting_payment", "Awaiting Payment"),
                    ("paid", "Paid"),
                    ("failed", "Failed"),
                    ("expired", "Expired"),
                    ("refunded", "Refunded"),
                    ("unlinked", "Unlinked"),
                    ("paid_again", "Paid Again"),
                    ("paid_again_refunded", "Paid Again Refunded"),
                ],
                max_length=24,
            ),
        ),
        migrations.RunPython(restore_sqlite_guard, migrations.RunPython.noop),
    ]
