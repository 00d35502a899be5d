from django.db import migrations, models


def kinds_from_action(apps, schema_editor):  # type: ignore[no-untyped-def]
    entries = apps.get_model("vault", "AccessLogEntry")
    entries.objects.update(kinds=models.F("action"))


class Migration(migrations.Migration):
    dependencies = [("vault", "0002_vacuum_sqlite")]

    operations = [
        migrations.AddField(
            model_name="accesslogentry",
            name="kinds",
            field=models.CharField(default="", max_length=200),
        ),
        migrations.RunPython(kinds_from_action, migrations.RunPython.noop),
    ]
