"""Triage without content: errands get a category and a note for coordinators, and the
old summary — a redacted copy of the title — is dropped, ciphertext and all. Existing
errands go to category `other` with no note."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("desk", "0002_sealed_content")]

    operations = [
        migrations.AddField(
            model_name="errand",
            name="category",
            field=models.CharField(default="other", max_length=32),
        ),
        migrations.AddField(
            model_name="errand",
            name="sealed_triage_note",
            field=models.BinaryField(null=True),
        ),
        migrations.RemoveField(model_name="errand", name="sealed_summary"),
    ]
