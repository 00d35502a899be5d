import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerKey",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("version", models.PositiveIntegerField(default=1)),
                ("master_key_id", models.CharField(blank=True, db_index=True, max_length=32)),
                ("wrapped", models.BinaryField(null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("rotated_at", models.DateTimeField(blank=True, null=True)),
                ("shredded_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="DataKey",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[("errand", "Errand"), ("profile", "Profile")], max_length=16
                    ),
                ),
                ("scope_id", models.CharField(max_length=64)),
                ("customer_key_version", models.PositiveIntegerField()),
                ("wrapped", models.BinaryField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["customer"], name="vault_datakey_customer_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("scope", "scope_id"), name="vault_one_key_per_scope"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AccessLogEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("actor_name", models.CharField(max_length=150)),
                ("actor_role", models.CharField(max_length=16)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("read_errand", "Read the errand's title and details"),
                            ("read_sealed", "Read the sealed details (phone, address, note)"),
                            ("read_messages", "Read the chat"),
                        ],
                        max_length=32,
                    ),
                ),
                ("errand_id", models.UUIDField(blank=True, null=True)),
                (
                    "actor",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["customer", "-at"], name="vault_accesslog_customer_idx")
                ],
            },
        ),
    ]
