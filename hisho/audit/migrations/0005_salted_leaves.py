"""Entries are salted (version 3): 128 random bits in every new entry's hashed document,
so that a public leaf cannot be confirmed by guessing the document of an entry that names
nobody (docs/audit.md, "What a public leaf hash tells"). Existing entries keep their
version and their leaf. On PostgreSQL the append-only guard also refuses a change of salt,
and a new guard refuses to INSERT an entry that is not salted.

Deploy with every process stopped: code from before this migration writes no salt and the
column takes none by default (an unsalted entry written after salted ones is reported by
`hisho audit-verify` anyway). Reversing it is refused once a salted entry exists: without
its column the salt would be gone, and the entry's leaf could never be checked again.
"""

from django.db import migrations, models

# The guard of 0004, with one more column that may never change.
GUARD = r"""
CREATE OR REPLACE FUNCTION hisho_audit_event_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit log is append-only: DELETE refused'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.id = OLD.id
       AND (NEW.leaf_index IS NOT DISTINCT FROM OLD.leaf_index OR OLD.leaf_index IS NULL)
       AND NEW.version = OLD.version
       AND NEW.at = OLD.at
       AND NEW.event = OLD.event
       AND NEW.actor_ref = OLD.actor_ref
       AND NEW.target_type = OLD.target_type
       AND NEW.target_ref = OLD.target_ref
       AND NEW.extra_refs = OLD.extra_refs
       AND NEW.prev_hash = OLD.prev_hash
       AND NEW.leaf_hash = OLD.leaf_hash
       {salt}
       AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
            OR (NEW.actor_id IS NULL AND OLD.actor_ref <> ''))
       AND (NEW.target_id = OLD.target_id OR (NEW.target_id = '' AND OLD.target_ref <> ''))
       AND NOT EXISTS (
            SELECT 1
            FROM jsonb_each(OLD.extra) AS o FULL JOIN jsonb_each(NEW.extra) AS n
                 ON o.key = n.key
            WHERE o.value IS DISTINCT FROM n.value
              AND NOT COALESCE(
                    o.key IS NOT NULL AND n.key IS NOT NULL AND n.value = 'null'::jsonb
                    AND (OLD.extra_refs -> o.key) IS NOT NULL,
                    false)
       )
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: UPDATE refused'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""


INSERT_GUARD = r"""
CREATE OR REPLACE FUNCTION hisho_audit_event_insert_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = 3 AND NEW.salt ~ '^[0-9a-f]{32}$' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log takes salted entries only: INSERT refused'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER hisho_audit_event_insert_guard
    BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION hisho_audit_event_insert_guard();
"""

DROP_INSERT_GUARD = """
DROP TRIGGER IF EXISTS hisho_audit_event_insert_guard ON audit_auditevent;
DROP FUNCTION IF EXISTS hisho_audit_event_insert_guard();
"""


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def guard_salts(apps, schema_editor):
    _run(schema_editor, GUARD.replace("{salt}", "AND NEW.salt = OLD.salt") + INSERT_GUARD)


def unguard_salts(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if AuditEvent.objects.filter(version__gte=3).exists():
        raise RuntimeError(
            "audit/0005 cannot be reversed: salted entries exist, and their leaves could "
            "never be checked again without their salts"
        )
    _run(schema_editor, DROP_INSERT_GUARD + GUARD.replace("{salt}", ""))


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0004_merkle_tree"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="salt",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="version",
            field=models.PositiveSmallIntegerField(default=3),
        ),
        migrations.RunPython(guard_salts, unguard_salts),
    ]
