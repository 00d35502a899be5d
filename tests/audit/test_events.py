"""The security-relevant events of K6 are in the chain, recorded by the actions that
cause them, by id."""

from __future__ import annotations

from typing import Any

from hisho.accounts.actions import do_set_role
from hisho.audit.models import AuditEvent
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand
from hisho.desk.content import read_sealed
from tests.principals import P


def last(event: str) -> AuditEvent:
    found = AuditEvent.objects.filter(event=event).order_by("-id").first()
    assert found is not None, event
    return found


def test_staff_unseal_role_change_and_reassignment_are_chained(demo: Demo) -> None:
    alice, kenji, yuki, admin = (demo.people[h] for h in ("alice", "kenji", "yuki", "admin"))

    read_sealed(P(kenji), demo.alice_errand)
    unsealed = last("vault.staff_unsealed")
    assert unsealed.actor_id == kenji.pk
    assert unsealed.extra["customer_id"] == alice.pk
    assert unsealed.extra["errand_id"] == str(demo.alice_errand.pk)
    assert unsealed.extra["action"] == "read_sealed"
    assert unsealed.extra_refs["customer_id"]  # alice is committed, like every person

    seq = unsealed.pk
    read_sealed(P(alice), demo.alice_errand)  # the owner's own read is not a staff unseal
    assert last("vault.staff_unsealed").pk == seq

    do_assign_errand(actor=admin, errand=demo.alice_errand, assistant_id=yuki.pk)
    moved = last("errand.reassigned")
    assert moved.extra["assignee_id"] == yuki.pk
    assert moved.extra["previous_assignee_id"] == kenji.pk

    do_set_role(actor=admin, user=demo.people["partner"], role="customer")
    changed = last("account.role_changed")
    assert changed.target_id == str(demo.people["partner"].pk)
    assert changed.extra == {"from": "partner", "to": "customer"}
    assert changed.pk > moved.pk > seq
    assert verify_log().ok


def test_every_entry_names_people_by_committed_id(demo: Demo, api_as: Any) -> None:
    api_as("kenji").get(f"/errands/{demo.alice_errand.pk}/sealed")
    for entry in AuditEvent.objects.all():
        if entry.actor_id is not None:
            assert entry.actor_ref
        for key in entry.extra_refs:
            assert isinstance(entry.extra[key], int)
