"""Both parties see a payment's status change live: the sandbox's webhook commits, the
fan-out (hisho/desk/live.py) reaches alice's and kenji's sockets, each re-checks access
and gets a `payment` frame with the new status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hisho.demo import Demo
from tests.conftest import sign_in
from tests.desk.test_live import (  # noqa: F401 - fixtures
    _empty_channel_layer,
    _quick_password_hashing,
    chat_path,
    connected,
    db,
    frame,
    run,
    session_cookie,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def payment_frame(comm: Any) -> dict[str, Any]:
    while True:  # skip the chat message the request posts
        got = await frame(comm)
        if got["type"] == "payment":
            return got


def test_paid_reaches_both_parties_live(demo: Demo, session_cookie: Any) -> None:  # noqa: F811
    errand = demo.alice_errand
    alice_cookie = session_cookie("alice")
    kenji_token = sign_in("kenji")
    alice_token = sign_in("alice")

    async def scenario() -> None:
        alice = await connected(socket(chat_path(errand), cookie=alice_cookie))
        kenji = await connected(socket(chat_path(errand), token=kenji_token))
        created = await db(
            Client().post,
            f"/api/v1/errands/{errand.pk}/payment-requests",
            json.dumps({"amount": 4000, "currency": "JPY", "description": "Deposit"}),
            content_type="application/json",
            headers={"X-Session-Token": kenji_token},
        )
        payment_id = created.json()["id"]
        for comm in (alice, kenji):
            got = await payment_frame(comm)
            assert got["payment"]["id"] == payment_id and got["payment"]["status"] == "open"
        checkout = await db(
            Client().post,
            f"/api/v1/payment-requests/{payment_id}/checkout",
            headers={"X-Session-Token": alice_token},
        )
        session = checkout.json()["redirect_url"].rstrip("/").rsplit("/", 1)[-1]
        paid = await db(Client().post, f"/sandbox-pay/{session}/pay/")
        assert paid.status_code == 302
        for comm in (alice, kenji):
            got = await payment_frame(comm)
            assert got["errand"] == str(errand.pk)
            assert got["payment"] == {
                "id": payment_id,
                "status": "paid",
                "status_label": "Paid",
                "amount": 4000,
                "currency": "JPY",
                "amount_refunded": 0,
            }
        await alice.disconnect()
        await kenji.disconnect()

    run(scenario)
