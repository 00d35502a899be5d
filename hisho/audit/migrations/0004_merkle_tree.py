"""The audit log becomes a Merkle-tree transparency log (docs/audit.md).

The hash chain's entries become the tree's first leaves, in chain order (leaf index =
seq − 1, version 1: their document keeps "seq" and "prev"); their `entry_hash` column
becomes `leaf_hash`, now the RFC 6962 leaf hash of the same document. The tree's nodes
are built here; the sequencer signs the first tree head on its first run. The signed
checkpoints of the chain stay (and are still verified); the chain head row goes: appends
no longer lock anything. On PostgreSQL the append-only triggers are renewed for the new
columns and tables.
"""

import django.db.models.fields.json
import django.utils.timezone
from django.db import migrations, models

DROP_EVENT_GUARD = """
DROP TRIGGER IF EXISTS hisho_audit_event_guard ON audit_auditevent;
DROP FUNCTION IF EXISTS hisho_audit_event_guard();
"""

CREATE = r"""
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

CREATE TRIGGER hisho_audit_node_guard
    BEFORE UPDATE OR DELETE ON audit_audittreenode
    FOR EACH ROW EXECUTE FUNCTION hisho_audit_checkpoint_guard();

CREATE TRIGGER hisho_audit_head_guard
    BEFORE UPDATE OR DELETE ON audit_audittreehead
    FOR EACH ROW EXECUTE FUNCTION hisho_audit_checkpoint_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS hisho_audit_head_guard ON audit_audittreehead;
DROP TRIGGER IF EXISTS hisho_audit_node_guard ON audit_audittreenode;
DROP TRIGGER IF EXISTS hisho_audit_event_guard ON audit_auditevent;
DROP FUNCTION IF EXISTS hisho_audit_event_guard();
"""


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def drop_old_guard(apps, schema_editor):
    _run(schema_editor, DROP_EVENT_GUARD)


def create_guards(apps, schema_editor):
    _run(schema_editor, CREATE)


def drop_guards(apps, schema_editor):
    _run(schema_editor, DROP)


def chain_into_tree(apps, schema_editor):
    from hisho.audit import chain, merkle
    from hisho.audit.tree import node_key

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditTreeNode = apps.get_model("audit", "AuditTreeNode")
    nodes = {}
    size = 0
    batch = []

    def flush():
        AuditEvent.objects.bulk_update(batch, ["leaf_index", "leaf_hash", "version"])
        batch.clear()

    for entry in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        entry.version = chain.CHAIN_VERSION
        entry.leaf_index = entry.seq - 1
        if entry.leaf_index != size:
            raise RuntimeError(f"the audit chain has a gap before seq {entry.seq}")
        leaf = merkle.leaf_hash(chain.leaf_data(entry))
        entry.leaf_hash = leaf.hex()
        made = merkle.new_nodes(size, [leaf], nodes)
        nodes.update(made)
        # Keep only the right edge in memory; write every node.
        AuditTreeNode.objects.bulk_create(
            [AuditTreeNode(key=node_key(*key), hash=value) for key, value in made.items()]
        )
        size += 1
        edge = merkle.right_edge(size)
        for key in [k for k in nodes if k not in edge]:
            del nodes[key]
        batch.append(entry)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(drop_old_guard, migrations.RunPython.noop),
        migrations.RenameField(model_name="auditevent", old_name="entry_hash", new_name="leaf_hash"),
        migrations.AddField(
            model_name="auditevent",
            name="version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="leaf_index",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.CreateModel(
            name="AuditTreeNode",
            fields=[
                ("key", models.BigIntegerField(primary_key=True, serialize=False)),
                ("hash", models.BinaryField()),
            ],
        ),
        migrations.CreateModel(
            name="AuditTreeHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.BigIntegerField(unique=True)),
                ("root_hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("key_id", models.CharField(max_length=32)),
                ("note", models.TextField()),
            ],
            options={"ordering": ["size"]},
        ),
        migrations.RunPython(chain_into_tree, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="version",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.RemoveField(model_name="auditevent", name="seq"),
        migrations.DeleteModel(name="AuditChainHead"),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["id"]}),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("leaf_index__isnull", True)),
                fields=["id"],
                name="audit_event_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                django.db.models.fields.json.KT("extra__access_log_id"),
                condition=models.Q(("event", "vault.staff_unsealed")),
                name="audit_event_access_log",
            ),
        ),
        migrations.RunPython(create_guards, drop_guards),
    ]
