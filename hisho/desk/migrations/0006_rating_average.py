"""Rating averages become snapshots (RatingAverage), taken every MIN_RATINGS ratings given
or changed. Each assistant's snapshot starts where the shown average stood: the first whole
blocks of five ratings, oldest first, with the rest pending."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BLOCK = 5  # MIN_RATINGS when this migration was written


def take_first_snapshots(apps: Any, schema_editor: Any) -> None:
    Rating = apps.get_model("desk", "Rating")
    RatingAverage = apps.get_model("desk", "RatingAverage")
    given: dict[int, list[int]] = {}
    rows = Rating.objects.filter(assistant__isnull=False).order_by("created_at", "pk")
    for assistant_id, stars in rows.values_list("assistant_id", "stars"):
        given.setdefault(assistant_id, []).append(stars)
    for assistant_id, stars in given.items():
        counted = len(stars) - len(stars) % BLOCK
        RatingAverage.objects.create(
            assistant_id=assistant_id,
            ratings=counted,
            total_stars=sum(stars[:counted]),
            pending=len(stars) % BLOCK,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0005_assistant_tools_and_ratings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RatingAverage",
            fields=[
                (
                    "assistant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("ratings", models.PositiveIntegerField(default=0)),
                ("total_stars", models.PositiveIntegerField(default=0)),
                ("pending", models.PositiveSmallIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(take_first_snapshots, migrations.RunPython.noop),
    ]
