"""Canned replies: admin-written texts with named placeholders, filled in for one errand.

Placeholders are `{name}` with a name from PLACEHOLDERS — no attribute or index access, no
conversion or format spec, no positional fields — checked when an admin saves a reply (a
4xx otherwise), so filling one in can only ever substitute these plain strings.
"""

from __future__ import annotations

import string

from hisho.desk.models import CannedReply, Errand
from hisho.errors import InvalidInput

PLACEHOLDERS = ("customer_name", "assistant_name", "errand_ref")
TITLE_MAX = 80
BODY_MAX = 2000


def check_template(field: str, template: str) -> None:
    """InvalidInput unless every `{…}` in `template` is a bare known placeholder."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise InvalidInput(field, "Unbalanced braces: write {{ and }} for literal ones.") from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise InvalidInput(
                field,
                "Unknown placeholder; use only " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS),
            )


def errand_ref(errand: Errand) -> str:
    """The short reference customers see for an errand (the start of its id)."""
    return str(errand.pk)[:8].upper()


def language_of(errand: Errand) -> str:
    return "ja" if (errand.customer.language or "").startswith("ja") else "en"


def fill(reply: CannedReply, errand: Errand) -> str:
    """The reply in the customer's language with the placeholders filled in."""
    template = reply.body_ja if language_of(errand) == "ja" else reply.body_en
    assistant = errand.assignee.display_name if errand.assignee else ""
    values = {
        "customer_name": errand.customer.display_name,
        "assistant_name": assistant,
        "errand_ref": errand_ref(errand),
    }
    return template.format_map(values)
