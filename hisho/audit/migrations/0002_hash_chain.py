"""The audit log becomes a hash chain (docs/audit.md): chain fields on every entry, the
chain head, per-person pseudonym keys, signed checkpoints. Entries written before this
migration are chained here, in id order."""

import django.utils.timezone
from django.db import migrations, models


def chain_existing(apps, schema_editor):
    from hisho.audit import chain
    from hisho.audit.subjects import refs_for

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditSubject = apps.get_model("audit", "AuditSubject")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    person_type = chain.person_target_type()
    prev, seq = chain.GENESIS, 0
    for entry in AuditEvent.objects.order_by("id").iterator(chunk_size=500):
        target_person = int(entry.target_id) if entry.target_type == person_type else None
        extra_people = {
            key: value
            for key, value in (entry.extra or {}).items()
            if key in chain.PERSON_KEYS and isinstance(value, int) and not isinstance(value, bool)
        }
        people = {p for p in (entry.actor_id, target_person, *extra_people.values()) if p is not None}
        refs = refs_for(people, AuditSubject)
        seq += 1
        entry.seq = seq
        entry.prev_hash = prev
        entry.actor_ref = refs[entry.actor_id] if entry.actor_id is not None else ""
        entry.target_ref = refs[target_person] if target_person is not None else ""
        entry.extra_refs = {key: refs[value] for key, value in extra_people.items()}
        entry.entry_hash = chain.entry_hash(entry)
        entry.save(
            update_fields=["seq", "prev_hash", "actor_ref", "target_ref", "extra_refs", "entry_hash"]
        )
        prev = entry.entry_hash
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "head_hash": prev})


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("head_hash", models.CharField(max_length=64)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(unique=True)),
                ("head_hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("key_id", models.CharField(max_length=32)),
                ("document", models.JSONField()),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.CreateModel(
            name="AuditSubject",
            fields=[
                ("ref", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("user_id", models.BigIntegerField(blank=True, null=True, unique=True)),
                ("master_key_id", models.CharField(blank=True, default="", max_length=32)),
                ("wrapped_key", models.BinaryField(null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("erased_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["seq"]}),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="actor_ref",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="target_ref",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="extra_refs",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="entry_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True),
        ),
    ]
