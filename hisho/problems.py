"""RFC 9457 problem details: the one shape of every API error (API.md, "Errors")."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpResponse
from ninja import Schema

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


# The error statuses the API can answer with; every operation documents them.
ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 413, 422, 429})


def problem_response(
    status: int, detail: str, *, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        # RFC 9457 §4.2.1: "about:blank" when the HTTP status says it all.
        "type": "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
