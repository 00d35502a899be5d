"""Shared pieces of the API schemas.

Every limit the server enforces is in the OpenAPI document (issue 14), so a request
that is valid by the document is accepted and one that is not is answered 400/422:
`text()` publishes the rules of hisho/textcheck.py as `maxLength`, `minLength` and
`pattern`; `JsonInt` accepts what JSON Schema calls an integer (also `2.0`, never
`"2"` or `true`); ids are bounded so no number reaches the database it cannot hold.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field

from hisho.problems import ERROR_STATUSES, Problem
from hisho.textcheck import REQUIRED_TEXT_PATTERN, TEXT_PATTERN

# The largest id a database column holds (BigAutoField).
ID_MAX = 2**63 - 1


class StrictIn(Schema):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def with_errors(ok: dict[int, object]) -> dict[int, object]:
    """A ninja `response=` mapping: the success shapes plus every documented error."""
    return {**ok, **{status: Problem for status in ERROR_STATUSES}}


def _integral(value: Any) -> Any:
    # JSON Schema's "integer" is a number with no fraction: 2 and 2.0 alike. Strings and
    # booleans are not numbers (pydantic's lax mode would take "2" and true).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("An integer is required.")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("An integer is required.")
        return int(value)
    return value


# Bounds go before it, e.g. Annotated[int, Field(ge=1), Integral], so they are published
# as minimum/maximum.
Integral = BeforeValidator(_integral)
JsonInt = Annotated[int, Integral]
JsonId = Annotated[int, Field(ge=1, le=ID_MAX), Integral]


def text(max_length: int, *, required: bool = False, **kwargs: Any) -> Any:
    """A free-text field checked by hisho.textcheck.text_problem (in the action): its
    rules, published. The action stays the one place that enforces the content rules."""
    pattern = REQUIRED_TEXT_PATTERN if required else TEXT_PATTERN

    def publish(schema: dict[str, Any]) -> None:
        # Into the string branch of a nullable field's anyOf, where generators look.
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "string":
                option["pattern"] = pattern

    return Field(
        max_length=max_length,
        min_length=1 if required else None,
        json_schema_extra=publish,
        **kwargs,
    )
