"""Customer content becomes ciphertext (the vault, issue 3).

New sealed_* columns; rows written before the vault are sealed in place; then the
plaintext columns are dropped. Not reversible: nothing decrypts content in bulk.
"""

import uuid

from django.db import migrations, models

from hisho.vault.backfill import seal_existing_errands


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0001_initial"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("errand", "sealed_phone", "legacy_phone"),
        migrations.RenameField("errand", "sealed_address", "legacy_address"),
        migrations.RenameField("errand", "sealed_note", "legacy_note"),
        migrations.AddField("errand", "sealed_summary", models.BinaryField(null=True)),
        migrations.AddField("errand", "sealed_title", models.BinaryField(null=True)),
        migrations.AddField("errand", "sealed_details", models.BinaryField(null=True)),
        migrations.AddField("errand", "sealed_phone", models.BinaryField(null=True)),
        migrations.AddField("errand", "sealed_address", models.BinaryField(null=True)),
        migrations.AddField("errand", "sealed_note", models.BinaryField(null=True)),
        migrations.AddField("message", "seal_id", models.UUIDField(null=True)),
        migrations.AddField("message", "sealed_body", models.BinaryField(null=True)),
        migrations.RunPython(seal_existing_errands, elidable=False),
        migrations.RemoveField("errand", "summary"),
        migrations.RemoveField("errand", "title"),
        migrations.RemoveField("errand", "details"),
        migrations.RemoveField("errand", "legacy_phone"),
        migrations.RemoveField("errand", "legacy_address"),
        migrations.RemoveField("errand", "legacy_note"),
        migrations.RemoveField("message", "body"),
        migrations.AlterField("errand", "sealed_summary", models.BinaryField()),
        migrations.AlterField("errand", "sealed_title", models.BinaryField()),
        migrations.AlterField(
            "message",
            "seal_id",
            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField("message", "sealed_body", models.BinaryField()),
    ]
