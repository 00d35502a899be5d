"""The database cache table that production keeps allauth's throttle counters and used
TOTP codes in (settings: CACHES; docs/security.md). Does nothing for other cache
backends; `hisho createcachetable` does the same at any time and is safe to repeat."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_sealed_profile")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
