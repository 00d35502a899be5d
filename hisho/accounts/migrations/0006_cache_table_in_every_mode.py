"""The production cache table (settings.HISHO_CACHE_TABLE), made whatever cache this
migration runs under. 0003 made it only when the configured cache was the database one,
so a database migrated in embedded mode (`make run`, `make scaled`) and then served with
HISHO_MODE=production had none, and every request that touches allauth's throttles
answered 500. Safe to repeat: an existing table is left as it is."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command(
        "createcachetable",
        settings.HISHO_CACHE_TABLE,
        database=schema_editor.connection.alias,
        verbosity=0,
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_time_zone")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
