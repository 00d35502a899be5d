"""SQLite keeps dropped plaintext in free pages until VACUUM: rebuild the file once,
after desk 0002 and accounts 0002 dropped the plaintext columns. (PostgreSQL: see
docs/operations.md, "Keys and the vault" — VACUUM FULL in a maintenance window.)"""

from django.db import migrations


def vacuum(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("vault", "0001_initial"),
        ("desk", "0002_sealed_content"),
        ("accounts", "0002_sealed_profile"),
    ]

    operations = [migrations.RunPython(vacuum, migrations.RunPython.noop, elidable=True)]
