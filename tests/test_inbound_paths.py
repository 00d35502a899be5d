"""Issue 13, POLICY K9: every input path is in hisho/inbound_paths.py, and what it says of
each one is true of the code.

Walks every CharField and TextField of every installed model (Hisho's and the libraries'),
and Hisho's sealed fields: each is scrubbed in its action, refused with a card, masked
where it is kept, or declared unable to carry free text. The code named for a path must
reach the scrubber it is said to use (read from its source, following the functions and
classes of its own module it calls); tests/desk/test_card_numbers.py then sends a card
through each of them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from typing import Any

from django.apps import apps
from django.db import models

from hisho.inbound_paths import (
    FIELDS,
    OTHER_PATHS,
    Masked,
    NoFreeText,
    Refused,
    Scrubbed,
    all_paths,
)

# What each kind of handling must call, somewhere down its own module's calls.
REACHES = {
    Scrubbed: {"scrub", "mask_cards", "mask_cards_decoded"},
    Refused: {"carries_card"},
    Masked: {"mask_cards", "mask_cards_decoded", "mask"},
}


def text_fields() -> dict[str, models.Field[Any, Any]]:
    """Every field a client's text could land in: Char/Text fields without fixed choices
    and JSON fields (any string inside them) of every installed model, and the sealed
    (encrypted text) fields of Hisho's."""
    found: dict[str, models.Field[Any, Any]] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field):
                continue
            label = f"{model._meta.app_label}.{model.__name__}.{field.name}"
            if (
                (isinstance(field, models.CharField | models.TextField) and not field.choices)
                or isinstance(field, models.JSONField)
                or (isinstance(field, models.BinaryField) and field.name.startswith("sealed_"))
            ):
                found[label] = field
    return found


def test_every_text_field_is_scrubbed_refused_masked_or_declared() -> None:
    missing = sorted(set(text_fields()) - set(FIELDS))
    assert missing == [], (
        "say in hisho/inbound_paths.py FIELDS what happens to a card number typed into "
        f"these (scrubbed in the action, refused, masked, or NoFreeText with why): {missing}"
    )


def test_no_entry_names_a_field_that_does_not_exist() -> None:
    assert sorted(set(FIELDS) - set(text_fields())) == []


def _resolve(dotted: str) -> Any:
    """module.function, module.Class or module.Class.method."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise AssertionError(f"{dotted} does not exist")


def _calls(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def reached_calls(target: Any) -> set[str]:
    """Names called by ``target``, and by the functions and classes of its own module that
    it calls, transitively (a helper like ``_text`` or a class like ``_Inbound``)."""
    module = inspect.getmodule(target)
    assert module is not None
    tree = ast.parse(inspect.getsource(module))
    local: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            local.setdefault(node.name, node)
    start = ast.parse(textwrap.dedent(inspect.getsource(target)))
    seen: set[str] = set()
    names = _calls(start)
    todo = [n for n in names if n in local]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        more = _calls(local[name])
        names |= more
        todo.extend(n for n in more if n in local and n not in seen)
    return names


def test_the_code_named_for_each_path_reaches_its_scrubber() -> None:
    for label, handling in all_paths().items():
        if isinstance(handling, NoFreeText):
            continue
        dotted = getattr(handling, "action", None) or getattr(handling, "check", None)
        dotted = dotted or getattr(handling, "by", "")
        wanted = REACHES[type(handling)]
        assert reached_calls(_resolve(dotted)) & wanted, f"{label}: {dotted} calls none of {wanted}"


def test_the_check_sees_a_path_that_skips_its_scrubber() -> None:
    # The check itself can fail: code that never calls the scrubber is caught.
    assert not reached_calls(_resolve("hisho.desk.actions.do_change_status")) & REACHES[Scrubbed]


def test_other_paths_cover_headers_urls_addresses_and_mail() -> None:
    kinds = {label.split(":")[0] for label in OTHER_PATHS}
    assert {"header", "url", "email", "mail", "log"} <= kinds
