"""Shared pieces of the API schemas."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict

from hisho.problems import ERROR_STATUSES, Problem


class StrictIn(Schema):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def with_errors(ok: dict[int, object]) -> dict[int, object]:
    """A ninja `response=` mapping: the success shapes plus every documented error."""
    return {**ok, **{status: Problem for status in ERROR_STATUSES}}
