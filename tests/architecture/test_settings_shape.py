"""One place for each setting: INSTALLED_APPS and MIDDLEWARE are single literal lists in
hisho/settings.py, read top to bottom — never extended, inserted into or reassigned
further down, where the order (which is the behaviour) would be hard to see."""

from __future__ import annotations

import ast
from pathlib import Path

SETTINGS = Path(__file__).resolve().parents[2] / "hisho" / "settings.py"
SINGLE = ("INSTALLED_APPS", "MIDDLEWARE")


def problems(source: str) -> list[str]:
    found = []
    assignments = dict.fromkeys(SINGLE, 0)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in SINGLE:
                    assignments[target.id] += 1
                    if not isinstance(node.value, ast.List) or not all(
                        isinstance(e, ast.Constant) for e in node.value.elts
                    ):
                        found.append(f"line {node.lineno}: {target.id} is not a literal list")
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            if node.target.id in SINGLE:
                found.append(f"line {node.lineno}: {node.target.id} extended")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in SINGLE:
                found.append(f"line {node.lineno}: {owner.id}.{node.func.attr}()")
    found += [f"{name} assigned {n} times" for name, n in assignments.items() if n != 1]
    return found


def test_the_rule_sees_scattered_settings() -> None:
    source = (
        'INSTALLED_APPS = ["a"]\nMIDDLEWARE = ["m"]\n'
        'INSTALLED_APPS += ["b"]\nMIDDLEWARE.insert(0, "x")\n'
    )
    assert problems(source) == ["line 3: INSTALLED_APPS extended", "line 4: MIDDLEWARE.insert()"]


def test_apps_and_middleware_are_one_literal_list_each() -> None:
    assert problems(SETTINGS.read_text()) == []
