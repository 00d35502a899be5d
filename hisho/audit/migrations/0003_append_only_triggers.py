"""PostgreSQL: the audit log is append-only in the database itself.

- audit_auditevent: DELETE is refused; UPDATE is refused unless it only removes plain
  person ids whose commitments stay (erasure: actor_id → NULL, target_id → '', a person
  key of `extra` → null where `extra_refs` holds its commitment). Every column the chain
  covers must stay as it is.
- audit_auditcheckpoint: UPDATE and DELETE are refused.

(TRUNCATE is not a row operation: keep it from the application's database role with
privileges instead; docs/audit.md.) SQLite has no such triggers: there the chain and the
signed checkpoints show tampering after the fact.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION hisho_audit_event_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit log is append-only: DELETE refused'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.id = OLD.id
       AND NEW.seq = OLD.seq
       AND NEW.at = OLD.at
       AND NEW.event = OLD.event
       AND NEW.actor_ref = OLD.actor_ref
       AND NEW.target_type = OLD.target_type
       AND NEW.target_ref = OLD.target_ref
       AND NEW.extra_refs = OLD.extra_refs
       AND NEW.prev_hash = OLD.prev_hash
       AND NEW.entry_hash = OLD.entry_hash
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

CREATE TRIGGER hisho_audit_event_guard
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION hisho_audit_event_guard();

CREATE OR REPLACE FUNCTION hisho_audit_checkpoint_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit checkpoints are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER hisho_audit_checkpoint_guard
    BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION hisho_audit_checkpoint_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS hisho_audit_checkpoint_guard ON audit_auditcheckpoint;
DROP FUNCTION IF EXISTS hisho_audit_checkpoint_guard();
DROP TRIGGER IF EXISTS hisho_audit_event_guard ON audit_auditevent;
DROP FUNCTION IF EXISTS hisho_audit_event_guard();
"""


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def create(apps, schema_editor):
    _run(schema_editor, CREATE)


def drop(apps, schema_editor):
    _run(schema_editor, DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_hash_chain"),
    ]

    operations = [migrations.RunPython(create, drop)]
