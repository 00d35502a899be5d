"""DESIGN rule 1: every write is an action. Model writes — save, create, update, delete,
bulk_*, get_or_create, update_or_create — happen only in `<app>/actions.py` and a short,
named list of infrastructure modules below, each with the reason it may write."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HISHO = ROOT / "hisho"

WRITE_METHODS = frozenset(
    {
        "save",
        "create",
        "update",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
    }
)

# Infrastructure that writes below the level of actions — each called only from inside
# an action's transaction (or a migration) — and why it may.
ALLOWED = {
    "hisho/accounts/models.py": "the user manager's create_user, which do_create_user calls",
    "hisho/audit/subjects.py": "the audit log's own storage: per-person keys record_event makes",
    "hisho/audit/tree.py": "the transparency log's sequencer: tree nodes and signed heads",
    "hisho/vault/keys.py": "the vault's key store: key rows written inside vault actions",
    "hisho/signing/keys.py": "the signing key store: key rows written inside signing actions",
    "hisho/vault/backfill.py": "data-migration helpers on historical models (migrations only)",
}

# Receivers that are not models: writes to these are not model writes.
NOT_MODELS = frozenset({"session", "request.session", "hasher", "digest", "h", "mac", "cache"})
# Files, not models: the witness keeps the last head it accepted in a JSON file of its own.
# Images, not models: Pillow's Image.save writes a re-encoded upload into memory.
NOT_MODEL_SAVES = {
    "hisho/audit/witness.py": "self.save()",
    "hisho/attachments/screening.py": "clean.save()",
}


def _receiver(node: ast.expr) -> str:
    return ast.unparse(node)


def model_writes(source: str) -> list[tuple[int, str]]:
    """(line, call) for each call that looks like a model write in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        if method not in WRITE_METHODS:
            continue
        receiver = _receiver(node.func.value)
        if receiver in NOT_MODELS or receiver.endswith((".session", "router", "api")):
            continue
        if method in ("update", "create") and not _looks_like_a_model(node.func.value, receiver):
            continue
        found.append((node.lineno, f"{receiver}.{method}()"))
    return found


def _looks_like_a_model(node: ast.expr, receiver: str) -> bool:
    """`update` and `create` are also dict, set and hash methods: count them
    only on a manager or queryset chain (`X.objects…`, `….filter(…)`) or an instance
    that is not a plain name of a builtin container."""
    if ".objects" in receiver or "_default_manager" in receiver or "_set" in receiver:
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"filter", "exclude", "all", "select_for_update", "none"}
    return False


def is_actions_module(path: Path) -> bool:
    """`<app>/actions.py`, or a module of an `<app>/actions/` package."""
    return path.name == "actions.py" or path.parent.name == "actions"


def offenders() -> list[str]:
    out = []
    for path in sorted(HISHO.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative in ALLOWED or is_actions_module(path):
            continue
        for line, call in model_writes(path.read_text()):
            if NOT_MODEL_SAVES.get(relative) == call:
                continue
            out.append(f"{relative}:{line}: {call}")
    return out


def test_the_rule_sees_writes() -> None:
    source = """
Errand.objects.filter(pk=1).update(status="done")
Errand.objects.create(title="x")
errand.save(update_fields=["status"])
message.delete()
Thing.objects.bulk_create([])
user.errand_set.create()
data.update({"a": 1})
request.session.save()
"""
    calls = [call for _line, call in model_writes(source)]
    assert calls == [
        "Errand.objects.filter(pk=1).update()",
        "Errand.objects.create()",
        "errand.save()",
        "message.delete()",
        "Thing.objects.bulk_create()",
        "user.errand_set.create()",
    ]


def test_model_writes_only_in_actions() -> None:
    found = offenders()
    assert not found, "model writes outside actions.py:\n" + "\n".join(found)


def test_only_the_vault_reads_the_access_log() -> None:
    """One accessor (hisho/vault/access.py) so every view of the log is the same one:
    besides it, only the model, the vault's actions (which write entries) and a foreign
    key's declaration name the table."""
    allowed = {
        "hisho/vault/access.py",
        "hisho/vault/models.py",
        "hisho/vault/actions.py",
        "hisho/legal/models.py",  # DisclosureRead's foreign key to an entry
    }
    found = []
    for path in sorted(HISHO.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            named = (isinstance(node, ast.Name) and node.id == "AccessLogEntry") or (
                isinstance(node, ast.Attribute) and node.attr == "AccessLogEntry"
            )
            if named or (isinstance(node, ast.alias) and node.name == "AccessLogEntry"):
                found.append(f"{relative}:{getattr(node, 'lineno', '?')}")
    assert not found, "the access log read outside hisho/vault/access.py:\n" + "\n".join(found)
