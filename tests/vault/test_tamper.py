"""Ciphertext that fails authentication never yields data: flipped bytes and values moved
between rows or people are detected, reported in the audit log by id, shown as a
placeholder — and the page or list around them keeps working."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.accounts.access import read_profile
from hisho.accounts.actions import do_update_profile
from hisho.accounts.models import User
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.actions import do_post_message
from hisho.desk.content import errand_place, errand_scope, read_content, read_messages, read_sealed
from hisho.desk.models import Errand, Message
from hisho.vault.errors import CANNOT_DECRYPT, CannotDecrypt
from hisho.vault.models import AccessAction
from hisho.vault.sealing import PLACEHOLDER, unseal
from tests.principals import P
from tests.vault.conftest import ALICE_SECRETS


def flip(value: Any, position: int = -1) -> bytes:
    data = bytearray(bytes(value))
    data[position] ^= 0x80
    return bytes(data)


def failures() -> list[dict[str, Any]]:
    return list(
        AuditEvent.objects.filter(event="vault.unseal_failed")
        .order_by("id")
        .values_list("extra", flat=True)
    )


def test_flipped_byte_in_a_sealed_field(demo: Demo, api_as: Any, web_as: Any) -> None:
    errand = demo.alice_errand
    Errand.objects.filter(pk=errand.pk).update(sealed_phone=flip(errand.sealed_phone))
    errand = Errand.objects.get(pk=errand.pk)
    sealed = read_sealed(P(demo.people["alice"]), errand)
    assert (sealed.phone, sealed.intact) == (PLACEHOLDER, False)
    assert sealed.note == "One of us uses a wheelchair."  # the other fields still open
    [event] = failures()
    assert event == {
        "customer_id": errand.customer_id,
        "errand_id": str(errand.pk),
        "table": "desk_errand",
        "row_id": str(errand.pk),
        "field": "phone",
        "reason": "tampered",
        "count": 1,
    }
    # The API and the page say so, without a 5xx and without the value.
    response = api_as("kenji").get(f"/errands/{errand.pk}/sealed")
    assert response.status_code == 200 and response.json()["phone"] == PLACEHOLDER
    page = web_as("kenji").get(f"/errands/{errand.pk}/")
    assert page.status_code == 200 and PLACEHOLDER in page.content.decode()
    assert "090-1234-5678" not in page.content.decode()
    # A caller that wants an error gets one: a 409-mapped Conflict, never the data.
    with pytest.raises(CannotDecrypt) as raised:
        unseal(
            P(demo.people["alice"]),
            errand_scope(errand),
            [(errand_place(errand.pk, "phone"), errand.sealed_phone)],
            action=AccessAction.READ_SEALED,
            strict=True,
        )
    assert raised.value.detail == CANNOT_DECRYPT and raised.value.reason == "tampered"


def test_messages_swapped_between_rows(demo: Demo, api_as: Any, web_as: Any) -> None:
    errand, alice = demo.alice_errand, demo.people["alice"]
    do_post_message(actor=alice, errand=errand, body="A third message stays readable.")
    first, second, _third = Message.objects.filter(errand=errand).order_by("id")
    Message.objects.filter(pk=first.pk).update(sealed_body=second.sealed_body)
    Message.objects.filter(pk=second.pk).update(sealed_body=first.sealed_body)
    views = read_messages(P(alice), errand)
    assert [(v.body, v.intact) for v in views] == [
        (PLACEHOLDER, False),
        (PLACEHOLDER, False),
        ("A third message stays readable.", True),
    ]
    assert failures()[-1]["count"] == 2 and failures()[-1]["table"] == "desk_message"
    listing = api_as("alice").get(f"/errands/{errand.pk}/messages")
    assert listing.status_code == 200
    assert [m["body"] for m in listing.json()["items"]][1:] == [
        PLACEHOLDER,
        "A third message stays readable.",
    ]
    page = web_as("kenji").get(f"/errands/{errand.pk}/").content.decode()
    assert page.count(PLACEHOLDER) == 2 and "A third message stays readable." in page
    for secret in ("Friday at 19:00 if possible", "call two places this afternoon"):
        assert secret not in page


def test_titles_swapped_between_errands_and_between_people(
    demo: Demo, api_as: Any, web_as: Any
) -> None:
    mine, other, bobs = demo.alice_errand, demo.alice_new_errand, demo.bob_errand
    Errand.objects.filter(pk=mine.pk).update(sealed_title=other.sealed_title)
    Errand.objects.filter(pk=bobs.pk).update(sealed_details=mine.sealed_details)
    content = read_content(P(demo.people["alice"]), Errand.objects.get(pk=mine.pk))
    assert (content.title, content.intact) == (PLACEHOLDER, False)
    assert "vegetarian" in content.details
    bob_content = read_content(P(demo.people["bob"]), Errand.objects.get(pk=bobs.pk))
    assert bob_content.details == PLACEHOLDER and not bob_content.intact
    # The list pages show a placeholder for that item and the rest as usual.
    listing = web_as("alice").get("/errands/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert PLACEHOLDER in text and "Call my landlord about the broken heater" in text
    api_listing = api_as("alice").get("/errands")
    assert api_listing.status_code == 200
    titles = {item["id"]: item["title"] for item in api_listing.json()["items"]}
    assert titles[str(mine.pk)] == PLACEHOLDER
    assert titles[str(other.pk)] == "Call my landlord about the broken heater"
    for secret in ALICE_SECRETS:
        assert secret not in api_as("bob").get(f"/errands/{bobs.pk}").content.decode()


def test_triage_note_tampered(demo: Demo, web_as: Any) -> None:
    Errand.objects.filter(pk=demo.alice_errand.pk).update(
        sealed_triage_note=flip(demo.alice_errand.sealed_triage_note, 20)
    )
    page = web_as("admin").get("/errands/")
    assert page.status_code == 200 and PLACEHOLDER in page.content.decode()
    assert failures()[-1]["field"] == "triage_note"


def test_profile_phone_moved_to_another_person(demo: Demo, api_as: Any) -> None:
    alice, bob = demo.people["alice"], demo.people["bob"]
    do_update_profile(actor=alice, changes={"phone": "+81 90 1111 2222"})
    do_update_profile(actor=bob, changes={"mailing_address": "Umeda 1-1"})
    alice = User.objects.get(pk=alice.pk)
    User.objects.filter(pk=bob.pk).update(sealed_phone=alice.sealed_phone)
    # Moved into another field of alice's own row: refused too.
    User.objects.filter(pk=alice.pk).update(sealed_mailing_address=alice.sealed_phone)
    bob = User.objects.get(pk=bob.pk)
    assert read_profile(P(bob), bob).phone == PLACEHOLDER
    assert read_profile(P(bob), bob).mailing_address == "Umeda 1-1"
    me = api_as("alice").get("/me").json()
    assert me["phone"] == "+81 90 1111 2222" and me["mailing_address"] == PLACEHOLDER
    assert "1111 2222" not in api_as("bob").get("/me").content.decode()
