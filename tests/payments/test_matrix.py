"""Authorization matrix for the payment endpoints: every endpoint × every role, on a
request kenji made on alice's errand (assigned to him). Nobody else learns its description."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import Demo
from tests.conftest import ROLES
from tests.payments.test_flow import settle

pytestmark = pytest.mark.django_db
SECRET = "Deposit for the restaurant"

CASES: dict[str, tuple[str, str, Any, dict[str, int]]] = {
    "create": (
        "post",
        "/errands/{errand}/payment-requests",
        {"amount": 100, "currency": "JPY", "description": "More"},
        {"anonymous": 401, "kenji": 201, "yuki": 404, "*": 403},
    ),
    "list": (
        "get",
        "/errands/{errand}/payment-requests",
        None,
        {"anonymous": 401, "alice": 200, "kenji": 200, "*": 404},
    ),
    "checkout": (
        "post",
        "/payment-requests/{payment}/checkout",
        {},
        {"anonymous": 401, "alice": 200, "bob": 404, "*": 403},
    ),
    "refund": (
        "post",
        "/payment-requests/{payment}/refund",
        {"amount": 100},
        {"anonymous": 401, "kenji": 200, "admin": 200, "yuki": 404, "*": 403},
    ),
    "receipt": (
        "get",
        "/payment-requests/{payment}/receipt",
        None,
        {"anonymous": 401, "alice": 200, "bob": 404, "*": 403},
    ),
}
NEEDS_PAID = {"refund", "receipt"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_payment_api_matrix(
    case: str, role: str, demo: Demo, api_as: Any, checkout: dict[str, Any]
) -> None:
    method, path, body, expected = CASES[case]
    if case in NEEDS_PAID:
        settle(checkout, "pay")
    url = path.format(errand=demo.alice_errand.pk, payment=checkout["payment"]["id"])
    if case == "checkout":
        settle(checkout, "expire")  # a fresh checkout is possible while unpaid
    client = api_as(role)
    response = client.post(url, body) if method == "post" else client.get(url)
    want = expected.get(role, expected["*"])
    assert response.status_code == want, (role, response.content)
    if role not in {"alice", "kenji"}:
        assert SECRET not in response.content.decode()


# Pages: (method, url, form) → {role: status}; anonymous goes to sign in (302).
PAGES: dict[str, tuple[str, str, dict[str, str] | None, dict[str, int]]] = {
    "request": (
        "post",
        "/errands/{errand}/payments/",
        {"amount": "100", "description": "More"},
        {"anonymous": 302, "kenji": 302, "yuki": 404, "*": 403},
    ),
    "pay": (
        "post",
        "/payments/{payment}/pay/",
        {},
        {"anonymous": 302, "alice": 302, "bob": 404, "*": 403},
    ),
    "refund": (
        "post",
        "/payments/{payment}/refund/",
        {},
        {"anonymous": 302, "kenji": 302, "admin": 302, "yuki": 404, "*": 403},
    ),
    "receipt": (
        "get",
        "/payments/{payment}/receipt/",
        None,
        {"anonymous": 302, "alice": 302, "bob": 404, "*": 403},
    ),
    "return": (
        "get",
        "/payments/{payment}/return/?result=success",
        None,
        {"anonymous": 302, "alice": 302, "kenji": 404, "*": 404},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(PAGES))
def test_payment_page_matrix(
    case: str, role: str, demo: Demo, web_as: Any, payment: dict[str, Any]
) -> None:
    method, path, data, expected = PAGES[case]
    url = path.format(errand=demo.alice_errand.pk, payment=payment["id"])
    client = web_as(role)
    response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected.get(role, expected["*"]), role
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if role not in {"alice", "kenji"}:
        assert SECRET not in response.content.decode()


def test_only_participants_see_the_payment_section(demo: Demo, web_as: Any, payment: Any) -> None:
    for role in ("alice", "kenji"):
        page = web_as(role).get(f"/errands/{demo.alice_errand.pk}/").content.decode()
        assert SECRET in page and f'data-payment="{payment["id"]}"' in page
    admin = web_as("admin").get(f"/errands/{demo.alice_errand.pk}/").content.decode()
    assert SECRET not in admin and "data-payment=" not in admin
