"""On PostgreSQL the INSERT guard of audit/0005 also refuses an entry whose `extra` or
`extra_refs` is not a JSON object. record_event writes objects only; a row with a list or a
string there, which a plain INSERT could add, made the append-only trigger fail on the
sequencer's setting of its leaf index (`jsonb_each` of a non-object), so every integration
failed from then on and no later entry was ever signed (tests/audit/test_trigger.py)."""

from django.db import migrations

INSERT_GUARD = r"""
CREATE OR REPLACE FUNCTION hisho_audit_event_insert_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = 3 AND NEW.salt ~ '^[0-9a-f]{32}$'{objects} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log takes salted entries only: INSERT refused'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""

OBJECTS = """
       AND jsonb_typeof(NEW.extra) = 'object' AND jsonb_typeof(NEW.extra_refs) = 'object'"""


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def guard_objects(apps, schema_editor):
    _run(schema_editor, INSERT_GUARD.replace("{objects}", OBJECTS))


def unguard_objects(apps, schema_editor):
    _run(schema_editor, INSERT_GUARD.replace("{objects}", ""))


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0005_salted_leaves"),
    ]

    operations = [
        migrations.RunPython(guard_objects, unguard_objects),
    ]
