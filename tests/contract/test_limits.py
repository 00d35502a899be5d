"""Every limit the server enforces is in the OpenAPI document (issue 14): what the
document allows is accepted, what it refuses is answered 422 problem+json."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from hisho.api import api
from hisho.demo import Demo
from hisho.textcheck import REQUIRED_TEXT_PATTERN, TEXT_PATTERN, text_problem


def test_text_patterns_say_exactly_what_text_problem_refuses() -> None:
    # Every code point (lone surrogates aside: no JSON Schema regex can name them), alone,
    # after a letter and doubled, as an optional and as a required field.
    mismatches = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        for value in (char, "a" + char, char * 2):
            for required, pattern in ((False, TEXT_PATTERN), (True, REQUIRED_TEXT_PATTERN)):
                accepted = text_problem(value, max_length=10, required=required) is None
                if accepted != bool(re.search(pattern, value)):
                    mismatches.append((hex(code), required))
    assert not mismatches


def _schemas() -> dict[str, Any]:
    components: dict[str, Any] = api.get_openapi_schema(path_params={})["components"]["schemas"]
    return components


def test_the_document_publishes_the_limits() -> None:
    schemas = _schemas()
    title = schemas["ErrandIn"]["properties"]["title"]
    assert title["maxLength"] == 200 and title["minLength"] == 1
    assert title["pattern"] == REQUIRED_TEXT_PATTERN
    assert schemas["MessageIn"]["properties"]["body"]["pattern"] == REQUIRED_TEXT_PATTERN
    birth_year = schemas["MePatch"]["properties"]["birth_year"]["anyOf"][0]
    assert birth_year == {
        "type": "integer",
        "minimum": 1900,
        "maximum": timezone.now().year,
    }
    assign = schemas["AssignIn"]
    assert assign["oneOf"] == [{"required": ["assistant_id"]}, {"required": ["strategy"]}]
    assert assign["additionalProperties"] is False
    assert schemas["MePatch"]["properties"]["language"]["anyOf"][0]["enum"] == ["en", "ja", ""]


def test_integer_valued_floats_are_integers(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    assert alice.patch("/me", {"birth_year": 1990.0}).json()["birth_year"] == 1990
    assert alice.post("/me/policy/acknowledge", {"version": 1.0}).status_code in (200, 409)
    kenji_id = float(demo.people["kenji"].pk)
    errand = demo.alice_new_errand
    assigned = api_as("admin").post(f"/errands/{errand.pk}/assign", {"assistant_id": kenji_id})
    assert assigned.status_code == 200, assigned.content


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/me", {"birth_year": 1899}, "birth_year"),
        ("/me", {"birth_year": timezone.now().year + 1}, "birth_year"),
        ("/me", {"birth_year": 1990.5}, "birth_year"),
        ("/me", {"birth_year": "1990"}, "birth_year"),
        ("/me", {"birth_year": True}, "birth_year"),
        ("/me", {"country": " jp"}, "country"),
        ("/me", {"language": "fr"}, "language"),
        ("/me", {"name": "x" * 151}, "name"),
        ("/errands", {"title": "x" * 201}, "title"),
        ("/errands", {"title": " \u3000\t"}, "title"),
        ("/errands", {"title": ""}, "title"),
        ("/errands", {"title": "ok", "sealed": {"note": "a\x07b"}}, "sealed.note"),
    ],
)
def test_invalid_by_the_document_is_422(
    path: str, body: dict[str, Any], field: str, demo: Demo, api_as: Any
) -> None:
    method = "patch" if path == "/me" else "post"
    response = getattr(api_as("alice"), method)(path, body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"assistant_id": None, "strategy": "least_loaded"},
        {"assistant_id": 1, "strategy": None},
        {"assistant_id": 1, "strategy": "least_loaded"},
        {"assistant_id": "1"},
        {"assistant_id": 0},
        {"assistant_id": 2**63},
    ],
)
def test_assign_takes_exactly_one_way(body: dict[str, Any], demo: Demo, api_as: Any) -> None:
    errand = demo.alice_new_errand
    response = api_as("admin").post(f"/errands/{errand.pk}/assign", body)
    assert response.status_code == 422, response.content


def test_empty_message_body_is_refused_by_the_document(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    for body in ("", "   ", "\n"):
        response = api_as("alice").post(f"/errands/{errand.pk}/messages", {"body": body})
        assert response.status_code == 422
        assert not re.search(REQUIRED_TEXT_PATTERN, body)
