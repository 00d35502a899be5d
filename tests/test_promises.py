"""docs/promises.md resolves inside the repo: every `path::name` it cites — the code that
keeps a promise and the test that proves it — exists, and every kept promise cites both."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMISES = ROOT / "docs" / "promises.md"
REFERENCE = re.compile(r"`((?:hisho|tests)/[\w/.]+\.py)::(\w+)`")


def defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def rows() -> list[list[str]]:
    lines = [line for line in PROMISES.read_text().splitlines() if re.match(r"\| [KO]\d+ \|", line)]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_every_reference_exists() -> None:
    missing = []
    for path, name in REFERENCE.findall(PROMISES.read_text()):
        file = ROOT / path
        if not file.exists() or name not in defined_names(file):
            missing.append(f"{path}::{name}")
    assert not missing, "docs/promises.md cites what does not exist:\n" + "\n".join(missing)


def test_every_kept_promise_cites_code_and_proof() -> None:
    table = rows()
    assert [row[0] for row in table] == [f"K{n}" for n in range(1, 14)] + [
        f"O{n}" for n in range(1, 7)
    ]
    for number, _promise, status, code, proof in table:
        if status.startswith("kept"):
            assert REFERENCE.search(code), f"{number}: no code cited"
            assert all(p.startswith("tests/") for p, _ in REFERENCE.findall(proof)), number
            assert REFERENCE.search(proof), f"{number}: no test cited"
        else:
            assert re.search(r"issue \d+", status), f"{number}: say which issue builds it"
