"""The profile's phone and mailing address become ciphertext (the vault, issue 3).
Not reversible: nothing decrypts content in bulk."""

from django.db import migrations, models

from hisho.vault.backfill import seal_existing_profiles


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.AddField("user", "sealed_phone", models.BinaryField(null=True)),
        migrations.AddField("user", "sealed_mailing_address", models.BinaryField(null=True)),
        migrations.RunPython(seal_existing_profiles, elidable=False),
        migrations.RemoveField("user", "phone"),
        migrations.RemoveField("user", "mailing_address"),
    ]
