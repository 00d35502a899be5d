"""K8, crypto-shredding: once alice's key is destroyed nothing ever sealed for her opens
again — in the database or in a copy of it — while bob's data is untouched."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from hisho.accounts.access import read_profile
from hisho.accounts.actions import do_update_profile
from hisho.accounts.models import User
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.actions import do_create_errand, do_post_message
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand
from hisho.desk.triage import triage_note
from hisho.errors import Forbidden
from hisho.vault.actions import do_shred_customer_key
from hisho.vault.errors import KeyDestroyed
from hisho.vault.keys import store
from hisho.vault.models import CustomerKey, DataKey
from hisho.vault.sealing import PLACEHOLDER
from tests.principals import P
from tests.vault.conftest import ALICE_TITLE


def stored_values(reader: User, owner: User) -> list[tuple[str, bool]]:
    """Every value stored sealed for `owner` that `reader` may unseal, as (text, opened):
    the errands' title, details, triage note, sealed fields and messages, and (for the owner
    themself) the profile."""
    seen: list[tuple[str, bool]] = []
    for errand in Errand.objects.filter(customer=owner):
        if errand.customer_id != reader.pk and errand.assignee_id != reader.pk:
            continue
        content = read_content(P(reader), errand)
        note = triage_note(errand)
        seen += [(content.title, content.intact), (note, note != PLACEHOLDER)]
        sealed = read_sealed(P(reader), errand)
        for column, text in (
            (errand.sealed_details, content.details),
            (errand.sealed_phone, sealed.phone),
            (errand.sealed_address, sealed.address),
            (errand.sealed_note, sealed.note),
        ):
            if column is not None:
                seen.append((text or "", text != PLACEHOLDER))
        seen += [(m.body, m.intact) for m in read_messages(P(reader), errand)]
    if reader.pk == owner.pk:
        profile = read_profile(P(reader), owner)
        owner = User.objects.get(pk=owner.pk)
        if owner.sealed_phone is not None:
            seen.append((profile.phone or "", profile.phone != PLACEHOLDER))
    return seen


def backup_of_keys() -> dict[str, list[Any]]:
    """What a database backup holds of the key tables (the wrapped keys, as stored)."""
    return {
        "customer_keys": list(CustomerKey.objects.values()),
        "data_keys": list(DataKey.objects.values()),
    }


def restore_keys(backup: dict[str, list[Any]]) -> None:
    CustomerKey.objects.all().delete()
    DataKey.objects.all().delete()
    CustomerKey.objects.bulk_create(CustomerKey(**row) for row in backup["customer_keys"])
    DataKey.objects.bulk_create(DataKey(**row) for row in backup["data_keys"])
    store().cache.clear()


def test_shredding_alice_leaves_nothing_of_hers_readable_and_bob_untouched(demo: Demo) -> None:
    alice, bob, kenji, yuki = (demo.people[h] for h in ("alice", "bob", "kenji", "yuki"))
    do_update_profile(actor=alice, changes={"phone": "+81 80 1234 0000"})
    do_update_profile(actor=bob, changes={"phone": "+81 80 5678 0000"})
    alice_before = stored_values(alice, alice)
    assert len(alice_before) == 12 and all(ok for _, ok in alice_before)
    kenji_before = stored_values(kenji, alice)
    bob_before = stored_values(bob, bob)
    assert all(ok for _, ok in bob_before) and len(bob_before) >= 4
    assert len(kenji_before) == 8  # title, triage note, details, 3 sealed fields, 2 messages
    assert all(ok for _, ok in kenji_before)

    destroyed = do_shred_customer_key(actor=alice, customer=alice)

    assert destroyed == 3  # two errands and her profile
    assert AuditEvent.objects.filter(
        event="vault.customer_key_shredded", target_id=str(alice.pk), extra={"data_keys": 3}
    ).exists()
    alice = User.objects.get(pk=alice.pk)
    for reader, before in ((alice, len(alice_before)), (kenji, len(kenji_before))):
        seen = stored_values(reader, alice)
        assert len(seen) == before
        assert all(text == PLACEHOLDER and not ok for text, ok in seen), seen
    assert stored_values(bob, User.objects.get(pk=bob.pk)) == bob_before
    assert read_sealed(P(yuki), demo.bob_errand).intact
    assert CustomerKey.objects.get(customer=alice).wrapped is None
    assert not DataKey.objects.filter(customer=alice).exists()
    # Nothing new can be sealed for her either.
    with pytest.raises(KeyDestroyed):
        do_create_errand(actor=alice, title="Anything")
    with pytest.raises(KeyDestroyed):
        do_post_message(actor=alice, errand=demo.alice_new_errand, body="Hello?")


def test_old_copies_of_her_data_keys_do_not_help(demo: Demo) -> None:
    alice = demo.people["alice"]
    backup = backup_of_keys()
    do_shred_customer_key(actor=alice, customer=alice)
    # A backup's data keys brought back next to the live customer key table: still nothing.
    DataKey.objects.bulk_create(
        DataKey(**row) for row in backup["data_keys"] if row["customer_id"] == alice.pk
    )
    store().cache.clear()
    assert read_content(P(alice), demo.alice_errand).title == PLACEHOLDER
    # Expected after a shred, so not an incident for the audit log.
    assert not AuditEvent.objects.filter(event="vault.unseal_failed").exists()


def test_an_old_backup_stops_opening_once_its_master_key_is_retired(
    demo: Demo, keyring: Any
) -> None:
    """A full backup still holds alice's wrapped key, so it opens while the master key
    that wrapped it exists; rotating and retiring that master key after the shred is what
    makes the backup's copy of her data unreadable for good (docs/operations.md)."""
    alice, bob = demo.people["alice"], demo.people["bob"]
    backup = backup_of_keys()
    do_shred_customer_key(actor=alice, customer=alice)
    restore_keys(backup)
    assert read_content(P(alice), demo.alice_errand).title == ALICE_TITLE  # the known gap…

    do_shred_customer_key(actor=alice, customer=alice)
    call_command("rotate-keys", verbosity=0)
    call_command("rotate-keys", "--retire", verbosity=0)
    restore_keys(backup)  # …closed: the backup's wrapped keys need a retired master key
    assert read_content(P(alice), demo.alice_errand).title == PLACEHOLDER
    assert read_content(P(bob), demo.bob_errand).title == PLACEHOLDER
    assert AuditEvent.objects.filter(event="vault.unseal_failed").last().extra["reason"] == (
        "master_key_missing"
    )


def test_who_may_shred(demo: Demo, api_as: Any) -> None:
    alice, bob, kenji = demo.people["alice"], demo.people["bob"], demo.people["kenji"]
    for actor in (bob, kenji):
        with pytest.raises(Forbidden):
            do_shred_customer_key(actor=actor, customer=alice)
    assert read_content(P(alice), demo.alice_errand).title == ALICE_TITLE
    do_shred_customer_key(actor=demo.people["admin"], customer=alice)
    # Lists keep working after a shred, with placeholders.
    listing = api_as("alice").get("/errands")
    assert listing.status_code == 200
    assert {item["title"] for item in listing.json()["items"]} == {PLACEHOLDER}
    assert api_as("kenji").get(f"/errands/{demo.alice_errand.pk}/messages").status_code == 200
    assert api_as("admin").get("/errands").status_code == 200


def test_clearing_a_profile_field_destroys_its_ciphertext(demo: Demo, api_as: Any) -> None:
    alice = api_as("alice")
    assert alice.patch("/me", {"phone": "+81 90 1357 2468"}).json()["phone"] == "+81 90 1357 2468"
    stored = User.objects.get(email="alice@example.com")
    assert stored.sealed_phone is not None and b"1357" not in bytes(stored.sealed_phone)
    assert alice.patch("/me", {"phone": None}).json()["phone"] is None
    assert User.objects.get(email="alice@example.com").sealed_phone is None
