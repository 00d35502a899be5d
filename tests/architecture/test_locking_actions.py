"""An action that locks rows runs in its own transaction.

`select_for_update` outside a transaction is an error on PostgreSQL and a silent no-op on
SQLite, so a lock taken by an action that is not atomic passes every SQLite test and fails
in production. It happened: `do_rate_errand` lost its `@transaction.atomic` to a helper
inserted above it, and only the PostgreSQL run of the suite found it (a 500 on every
rating). This check finds it on any database: every function named `do_*` whose body calls
`select_for_update` is decorated with `transaction.atomic` or opens
`with transaction.atomic()` itself."""

from __future__ import annotations

import ast
from pathlib import Path

HISHO = Path(__file__).resolve().parents[2] / "hisho"


def _is_atomic(expr: ast.expr) -> bool:
    target = expr.func if isinstance(expr, ast.Call) else expr
    return ast.unparse(target) in ("transaction.atomic", "atomic")


def _locks(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr == "select_for_update"
        for node in ast.walk(function)
    )


def _opens_a_transaction(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(node, ast.With) and any(_is_atomic(item.context_expr) for item in node.items)
        for node in ast.walk(function)
    )


def locking_actions_without_a_transaction(source: str) -> list[str]:
    missing = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not node.name.startswith("do_") or not _locks(node):
            continue
        if any(_is_atomic(d) for d in node.decorator_list) or _opens_a_transaction(node):
            continue
        missing.append(node.name)
    return missing


def test_every_action_that_locks_rows_is_atomic() -> None:
    missing = [
        f"{path.relative_to(HISHO.parent)}::{name}"
        for path in sorted(HISHO.rglob("*.py"))
        for name in locking_actions_without_a_transaction(path.read_text(encoding="utf-8"))
    ]
    assert missing == [], f"decorate with @transaction.atomic: {missing}"


def test_the_check_finds_a_lock_outside_a_transaction() -> None:
    source = """
from django.db import transaction

@transaction.atomic
def _helper():
    pass

def do_rate(errand):
    return Errand.objects.select_for_update().get(pk=errand.pk)

@transaction.atomic
def do_fine(errand):
    return Errand.objects.select_for_update().get(pk=errand.pk)

def do_also_fine(errand):
    with transaction.atomic():
        return Errand.objects.select_for_update().get(pk=errand.pk)
"""
    assert locking_actions_without_a_transaction(source) == ["do_rate"]
