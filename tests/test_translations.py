"""The Japanese catalogue is complete and compiled (issue 17): every user-facing string
has a Japanese translation, none is fuzzy, the committed .mo says what the .po says, and
no string marked in the code is missing from the catalogue."""

from __future__ import annotations

import ast
import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hisho"
PO = PACKAGE / "locale" / "ja" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _unquote(line: str) -> str:
    value = ast.literal_eval(line)
    assert isinstance(value, str)
    return value


def read_po(path: Path) -> list[dict[str, object]]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (list), flags."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    field = ""

    def close() -> None:
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {}

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(  # type: ignore[union-attr]
                flag.strip() for flag in line[2:].split(",")
            )
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field.startswith("msgstr"):
                strings = entry["msgstr"]
                assert isinstance(strings, list)
                strings[-1] += _unquote(line)
            else:
                entry[field] = str(entry[field]) + _unquote(line)
        else:
            keyword, _, value = line.partition(" ")
            if keyword.startswith("msgstr"):
                field = "msgstr"
                entry.setdefault("msgstr", []).append(_unquote(value))  # type: ignore[union-attr]
            else:
                if keyword == "msgid" and "msgid" in entry:
                    close()
                field = keyword
                entry[field] = _unquote(value)
    return entries


def key(entry: dict[str, object]) -> str:
    context = entry.get("msgctxt")
    return f"{context}\x04{entry['msgid']}" if context else str(entry["msgid"])


def messages() -> list[dict[str, object]]:
    return [e for e in read_po(PO) if e["msgid"] != ""]


def test_the_catalogue_has_the_user_interface_in_it() -> None:
    ids = {key(e) for e in messages()}
    assert {"My errands", "Sign out", "Who saw my data", "We could not find that page"} <= ids
    assert len(ids) > 300


def test_no_entry_is_untranslated_or_fuzzy() -> None:
    untranslated = [key(e) for e in messages() if not all(e["msgstr"])]  # type: ignore[arg-type]
    fuzzy = [key(e) for e in messages() if "fuzzy" in e.get("flags", set())]  # type: ignore[operator]
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_survive_translation() -> None:
    import re

    def names(text: str) -> list[str]:
        return sorted(re.findall(r"%\(\w+\)s|\{\w+\}", text))

    wrong = [
        key(e)
        for e in messages()
        for translated in e["msgstr"]  # type: ignore[attr-defined]
        if names(str(e["msgid"])) != names(translated)
    ]
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog: dict[object, str] = compiled._catalog  # type: ignore[attr-defined]
    for entry in messages():
        strings = entry["msgstr"]
        assert isinstance(strings, list)
        if "msgid_plural" in entry:
            assert catalog.get((key(entry), 0)) == strings[0], key(entry)
        else:
            assert catalog.get(key(entry)) == strings[0], key(entry)
    assert len({k[0] if isinstance(k, tuple) else k for k in catalog} - {""}) == len(messages())


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_every_marked_string_is_in_the_catalogue(tmp_path: Path) -> None:
    """makemessages over a copy of the code finds nothing the committed .po lacks."""
    copy = tmp_path / "hisho"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ja", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "hisho.settings",
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "HISHO_VAR_DIR": str(tmp_path / "var"),
        },
    )
    found = {key(e) for e in read_po(copy / "locale/ja/LC_MESSAGES/django.po") if e["msgid"]}
    committed = {key(e) for e in messages()}
    assert sorted(found - committed) == []
    assert sorted(committed - found) == []


def test_gettext_is_imported_under_names_makemessages_knows() -> None:
    """xgettext finds `_`, `gettext`, `gettext_lazy`, `ngettext`, `pgettext` …; a string
    marked through any other alias (`_lazy`) silently stays English."""
    known = {
        "_",
        "gettext",
        "gettext_lazy",
        "gettext_noop",
        "ngettext",
        "ngettext_lazy",
        "pgettext",
        "pgettext_lazy",
        "npgettext",
        "npgettext_lazy",
    }
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                wrong += [
                    f"{path.relative_to(ROOT)}: {alias.name} as {alias.asname}"
                    for alias in node.names
                    if alias.asname and alias.asname not in known
                ]
    assert wrong == []
