"""`hisho rotate-keys`: new master key, new customer key versions, content untouched;
twice over, then the old master keys retired — and everything still opens."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from hisho.accounts.access import read_profile
from hisho.accounts.actions import do_update_profile
from hisho.demo import Demo
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand, Message
from hisho.vault.keyring import FileKeyring, master_keys, reset_master_keys
from hisho.vault.keys import customer_key_aad, store
from hisho.vault.models import CustomerKey, DataKey
from hisho.vault.sealing import PLACEHOLDER
from tests.principals import P
from tests.vault.conftest import ALICE_TITLE


def keyring_ids(path: Path) -> tuple[str, list[str]]:
    document = json.loads(path.read_text())
    return document["active"], [key["id"] for key in document["keys"]]


def ciphertexts() -> dict[str, bytes]:
    """Every content ciphertext in the database, by row and column."""
    found: dict[str, bytes] = {}
    for errand in Errand.objects.all():
        for column in ("title", "details", "triage_note", "phone", "address", "note"):
            value = getattr(errand, f"sealed_{column}")
            if value is not None:
                found[f"{errand.pk}.{column}"] = bytes(value)
    for message in Message.objects.all():
        found[f"m{message.pk}"] = bytes(message.sealed_body)
    return found


def all_readable(demo: Demo) -> bool:
    store().cache.clear()
    alice, bob, kenji = demo.people["alice"], demo.people["bob"], demo.people["kenji"]
    errand = Errand.objects.get(pk=demo.alice_errand.pk)
    return (
        read_content(P(alice), errand).title == ALICE_TITLE
        and read_sealed(P(kenji), errand).phone == "090-1234-5678"
        and [m.intact for m in read_messages(P(alice), errand)] == [True, True]
        and read_content(P(bob), demo.bob_errand).title.startswith("Find an English-speaking")
        and read_profile(P(alice), alice).phone == "+81 70 0000 1111"
        and errand.summary == "Dining: Dinner for four on Friday; step-free access needed."
    )


def test_rotate_twice_then_retire(demo: Demo, keyring: Path, tmp_path: Path) -> None:
    do_update_profile(actor=demo.people["alice"], changes={"phone": "+81 70 0000 1111"})
    original = tmp_path / "original.keyring"
    shutil.copy(keyring, original)
    first_master, _ = keyring_ids(keyring)
    before = ciphertexts()
    alice_key = CustomerKey.objects.get(customer=demo.people["alice"])
    wrapped_before = {dk.pk: bytes(dk.wrapped) for dk in DataKey.objects.all()}
    assert all_readable(demo)

    out = io.StringIO()
    call_command("rotate-keys", stdout=out)
    call_command("rotate-keys", stdout=out)
    assert out.getvalue().count("New active master key") == 2
    active, ids = keyring_ids(keyring)
    assert len(ids) == 3 and ids[0] == first_master and active == ids[2]
    rotated = CustomerKey.objects.get(customer=demo.people["alice"])
    assert (rotated.version, rotated.master_key_id) == (alice_key.version + 2, active)
    assert bytes(rotated.wrapped) != bytes(alice_key.wrapped)
    # Data keys rewrapped under the new customer key versions; content not touched at all.
    assert all(bytes(dk.wrapped) != wrapped_before[dk.pk] for dk in DataKey.objects.all())
    assert ciphertexts() == before
    assert all_readable(demo)

    call_command("rotate-keys", "--retire", stdout=out)
    assert keyring_ids(keyring) == (active, [active])
    assert all_readable(demo)  # the old master keys are not needed any more
    call_command("check")  # and start-up agrees the keyring fits the database

    # The original keyring (only the first master key) opens nothing now.
    shutil.copy(original, keyring)
    reset_master_keys()
    store().cache.clear()
    alice = demo.people["alice"]
    assert read_content(P(alice), demo.alice_errand).title == PLACEHOLDER
    with pytest.raises(SystemCheckError, match=r"vault\.E001"):
        call_command("check")


def test_master_only_rotation_keeps_customer_keys(demo: Demo, keyring: Path) -> None:
    versions = dict(CustomerKey.objects.values_list("pk", "version"))
    wrapped = {dk.pk: bytes(dk.wrapped) for dk in DataKey.objects.all()}
    call_command("rotate-keys", "--master-only", verbosity=0)
    active, _ = keyring_ids(keyring)
    assert dict(CustomerKey.objects.values_list("pk", "version")) == versions
    assert set(CustomerKey.objects.values_list("master_key_id", flat=True)) == {active}
    assert {dk.pk: bytes(dk.wrapped) for dk in DataKey.objects.all()} == wrapped
    call_command("rotate-keys", "--retire", verbosity=0)
    assert keyring_ids(keyring) == (active, [active])
    store().cache.clear()
    assert read_content(P(demo.people["kenji"]), demo.alice_errand).title == ALICE_TITLE


def test_a_running_process_picks_up_the_rotated_keyring(demo: Demo, keyring: Path) -> None:
    """Another process loaded the keyring before the rotation: it still opens customer
    keys wrapped under the new master key, because an unknown key id makes it re-read."""
    elsewhere = FileKeyring(keyring)
    call_command("rotate-keys", "--master-only", verbosity=0)
    row = CustomerKey.objects.get(customer=demo.people["alice"])
    assert row.master_key_id not in elsewhere.key_ids()
    key = elsewhere.unwrap(
        row.master_key_id, bytes(row.wrapped), customer_key_aad(row.customer_id, row.version)
    )
    assert len(key) == 32 and row.master_key_id in elsewhere.key_ids()


def test_new_customer_keys_are_wrapped_under_the_active_master_key(
    demo: Demo, keyring: Path, api_as: Any
) -> None:
    call_command("rotate-keys", verbosity=0)
    active = master_keys().active_key_id()
    response = api_as("kenji").patch("/me", {"phone": "+81 90 5555 0000"})
    assert response.json()["phone"] == "+81 90 5555 0000"
    assert CustomerKey.objects.get(customer=demo.people["kenji"]).master_key_id == active
