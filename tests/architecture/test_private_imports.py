"""DESIGN rule 8: no module but hisho/compat/ (and its tests, tests/compat/) imports a
third-party library's private modules — `internal` packages or `_underscored` ones — so
an upgrade that changes them breaks in one known place, not as a 500 anywhere."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = (ROOT / "hisho" / "compat", ROOT / "tests" / "compat")


def private_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for each import of a private third-party module in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] in ("hisho", "tests", "__future__"):
                continue
            if any(part == "internal" or part.startswith("_") for part in parts):
                found.append((node.lineno, name))
                break
    return found


def python_files() -> list[Path]:
    files = [*ROOT.joinpath("hisho").rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py")]
    return [f for f in files if not any(f.is_relative_to(a) for a in ALLOWED)]


def test_the_rule_sees_private_imports() -> None:
    assert private_imports("from allauth.headless.internal.sessionkit import x") == [
        (1, "allauth.headless.internal.sessionkit")
    ]
    assert private_imports("import allauth.core.internal.httpkit") == [
        (1, "allauth.core.internal.httpkit")
    ]
    assert private_imports("from allauth.mfa.totp import internal") == [
        (1, "allauth.mfa.totp.internal")
    ]
    assert private_imports("from django.utils._os import safe_join") == [(1, "django.utils._os")]
    assert private_imports("from allauth.headless import app_settings") == []
    assert private_imports("from hisho.compat.allauth import totp_code_now") == []


def test_no_private_imports_outside_compat() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in python_files()
        for line, name in private_imports(path.read_text())
    ]
    assert not offenders, "private imports outside hisho/compat/:\n" + "\n".join(offenders)
