"""Authorization matrix for the partners' endpoints and pages (every role)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ROLES

API_CASES: dict[str, tuple[str, str, Any, dict[str, int]]] = {
    "reports": ("get", "/partner/reports", None, {"anonymous": 401, "partner": 200, "*": 403}),
    "budget": ("get", "/partner/budget", None, {"anonymous": 401, "partner": 200, "*": 403}),
    "releases": ("get", "/partner/releases", None, {"anonymous": 401, "partner": 200, "*": 403}),
    "release": (
        "post",
        "/partner/reports/customers_by_profile/releases",
        {"epsilon": 0.5},
        {"anonymous": 401, "partner": 201, "*": 403},
    ),
    "submit_offer": (
        "post",
        "/partner/offers",
        {
            "title": "T",
            "body": "B",
            "url": "https://x.example/",
            "categories": [],
            "language": "en",
        },
        {"anonymous": 401, "partner": 201, "*": 403},
    ),
    "partner_offers": (
        "get",
        "/partner/offers",
        None,
        {"anonymous": 401, "partner": 200, "*": 403},
    ),
    "offers": ("get", "/offers", None, {"anonymous": 401, "*": 200}),
    "approve": (
        "post",
        "/offers/5d0c7a1e-0000-4000-8000-000000000000/approve",
        {},
        {"anonymous": 401, "admin": 404, "*": 403},
    ),
    "reject": (
        "post",
        "/offers/5d0c7a1e-0000-4000-8000-000000000000/reject",
        {},
        {"anonymous": 401, "admin": 404, "*": 403},
    ),
    "ledger": ("get", "/releases", None, {"*": 200}),
    "my_releases": (
        "get",
        "/me/releases",
        None,
        {"anonymous": 401, "alice": 200, "bob": 200, "*": 403},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(API_CASES))
def test_api_matrix(case: str, role: str, api_as: Any) -> None:
    method, path, body, expected = API_CASES[case]
    client = api_as(role)
    response = client.post(path, body) if method == "post" else client.get(path)
    assert response.status_code == expected.get(role, expected["*"]), response.content


PAGE_CASES: dict[str, tuple[str, str, dict[int, int]]] = {
    "partner": ("get", "/partner/", {"anonymous": 302, "partner": 200, "*": 403}),  # type: ignore[dict-item]
    "review": ("get", "/staff/offers/", {"anonymous": 302, "admin": 200, "*": 403}),  # type: ignore[dict-item]
    "ledger": ("get", "/releases/", {"*": 200}),  # type: ignore[dict-item]
    "release": (
        "post",
        "/partner/reports/customers_by_profile/release/",
        {"anonymous": 302, "partner": 302, "*": 403},  # type: ignore[dict-item]
    ),
    "go_unknown": ("get", "/go/5d0c7a1e-0000-4000-8000-000000000000/", {"*": 404}),  # type: ignore[dict-item]
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(PAGE_CASES))
def test_page_matrix(case: str, role: str, web_as: Any) -> None:
    method, url, expected = PAGE_CASES[case]
    client = web_as(role)
    response = client.post(url, {"epsilon": "0.5"}) if method == "post" else client.get(url)
    assert response.status_code == expected.get(role, expected["*"])  # type: ignore[call-overload]
