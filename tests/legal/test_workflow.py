"""The disclosure process (promise K11): four eyes, a time-limited case-bound grant, an
export of exactly the scope, signed; every step audited."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from hisho.accounts.actions import do_create_user, do_update_profile
from hisho.accounts.models import Role
from hisho.audit.models import AuditEvent
from hisho.audit.verify import verify_log
from hisho.demo import Demo
from hisho.desk.actions import do_create_errand, do_post_message
from hisho.errors import Conflict, Forbidden, InvalidInput, NotFound
from hisho.legal.actions import (
    do_approve_case,
    do_defer_notice,
    do_export_case,
    do_reject_case,
)
from hisho.legal.grants import DisclosureReader
from hisho.legal.models import CaseStatus, DisclosureGrant
from hisho.signing.service import BadSignature, published_keys, verify_with_published_keys
from hisho.vault.models import AccessAction
from hisho.vault.sealing import Scope, unseal
from tests.legal.conftest import today
from tests.principals import P

BOB_SECRETS = ["English-speaking dentist", "filling came out"]
ALICE_ERRAND_SECRETS = ["Shibuya", "vegetarian options", "090-1234-5678", "wheelchair"]
ALICE_MESSAGES = ["Friday at 19:00 if possible", "call two places this afternoon"]


def text_of(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False)


def test_the_opener_cannot_approve_their_own_case(demo: Demo, open_case: Any) -> None:
    case = open_case(by="admin")
    with pytest.raises(Forbidden):
        do_approve_case(actor=demo.people["admin"], case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not DisclosureGrant.objects.filter(case=case).exists()
    do_approve_case(actor=demo.people["admin2"], case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.decided_by == demo.people["admin2"]
    with pytest.raises(Conflict):
        do_approve_case(actor=demo.people["admin2"], case=case)  # once only


def test_no_export_before_approval(demo: Demo, open_case: Any) -> None:
    case = open_case()
    for handle in ("admin", "admin2"):
        with pytest.raises(Conflict):
            do_export_case(principal=P(demo.people[handle]), case=case)
    # And nobody unsealed anything trying.
    assert not AuditEvent.objects.filter(event="legal.data_unsealed").exists()
    assert not AuditEvent.objects.filter(event="legal.bundle_exported").exists()


@pytest.mark.parametrize("handle", ["alice", "kenji", "partner"])
def test_only_admins_take_part(demo: Demo, open_case: Any, handle: str) -> None:
    with pytest.raises(Forbidden):
        open_case(by=handle)
    case = open_case()
    for step in (
        lambda: do_approve_case(actor=demo.people[handle], case=case),
        lambda: do_reject_case(actor=demo.people[handle], case=case, reason="no"),
        lambda: do_export_case(principal=P(demo.people[handle]), case=case),
    ):
        with pytest.raises(Forbidden):
            step()


def test_a_third_admin_cannot_export(demo: Demo, open_case: Any) -> None:
    admin3 = do_create_user(
        email="admin3@example.com", password=None, role=Role.ADMIN, actor=demo.people["admin"]
    )
    case = open_case()
    do_approve_case(actor=demo.people["admin2"], case=case)
    with pytest.raises(Forbidden):
        do_export_case(principal=P(admin3), case=case)


def test_rejection_with_a_reason(demo: Demo, open_case: Any) -> None:
    case = open_case()
    with pytest.raises(InvalidInput):
        do_reject_case(actor=demo.people["admin2"], case=case, reason="   ")
    do_reject_case(actor=demo.people["admin2"], case=case, reason="No valid warrant attached.")
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert case.rejection_reason == "No valid warrant attached."
    with pytest.raises(Conflict):
        do_approve_case(actor=demo.people["admin2"], case=case)
    with pytest.raises(Conflict):
        do_export_case(principal=P(demo.people["admin"]), case=case)
    event = AuditEvent.objects.filter(event="legal.case_rejected").get()
    assert event.target_id == str(case.pk) and "warrant" not in json.dumps(event.extra)


def test_bad_cases_are_refused(demo: Demo, open_case: Any) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        open_case(categories=["profile", "card_numbers"])
    assert excinfo.value.field == "categories"
    with pytest.raises(InvalidInput) as excinfo:
        open_case(start=today(), end=today() - dt.timedelta(days=1))
    assert excinfo.value.field == "period_end"
    with pytest.raises(InvalidInput) as excinfo:
        open_case(person="kenji")  # staff are not customers
    assert excinfo.value.field == "person_id"


def test_export_contains_exactly_the_scope(
    demo: Demo, open_case: Any, every_kind_declared: frozenset[str]
) -> None:
    alice = demo.people["alice"]
    do_update_profile(actor=alice, changes={"phone": "080-9999-0000", "country": "JP"})

    only_errands = open_case(["errands"])
    do_approve_case(actor=demo.people["admin2"], case=only_errands)
    document = do_export_case(principal=P(demo.people["admin"]), case=only_errands)
    data = document["payload"]["data"]
    assert set(data) == {"errands"}
    assert {e["id"] for e in data["errands"]} == {
        str(demo.alice_errand.pk),
        str(demo.alice_new_errand.pk),
    }
    first = next(e for e in data["errands"] if e["id"] == str(demo.alice_errand.pk))
    assert first["title"] == "Book a table for 4 in Shibuya on Friday"
    assert first["phone"] == "090-1234-5678" and first["note"] == "One of us uses a wheelchair."
    text = text_of(document)
    for absent in [*BOB_SECRETS, *ALICE_MESSAGES, "080-9999-0000", alice.email]:
        assert absent not in text

    only_messages = open_case(["messages"])
    do_approve_case(actor=demo.people["admin2"], case=only_messages)
    document = do_export_case(principal=P(demo.people["admin2"]), case=only_messages)
    data = document["payload"]["data"]
    assert set(data) == {"messages"}
    bodies = [m["body"] for m in data["messages"]]
    assert len(bodies) == 2 and all(any(s in b for b in bodies) for s in ALICE_MESSAGES)
    assert [m["from"] for m in data["messages"]] == ["person", "assistant"]
    text = text_of(document)
    for absent in [*BOB_SECRETS, *ALICE_ERRAND_SECRETS[:2], "080-9999-0000", "Kenji"]:
        assert absent not in text

    only_profile = open_case(["profile"])
    do_approve_case(actor=demo.people["admin2"], case=only_profile)
    data = do_export_case(principal=P(demo.people["admin"]), case=only_profile)["payload"]["data"]
    assert set(data) == {"profile"}
    assert data["profile"]["phone"] == "080-9999-0000" and data["profile"]["country"] == "JP"
    assert data["profile"]["email"] == alice.email and data["profile"]["id"] == alice.pk


def test_only_kinds_the_policy_declares_for_authorities_leave(
    demo: Demo, open_case: Any, monkeypatch: pytest.MonkeyPatch, api_as: Any
) -> None:
    """A field whose kind policy.yaml does not declare for `authorities` is neither
    unsealed nor exported, and the bundle says what was withheld."""
    from hisho.legal import bundle

    monkeypatch.setattr(bundle, "declared_kinds", lambda: frozenset({"errand_content"}))
    case = open_case(["profile", "errands"])
    do_approve_case(actor=demo.people["admin2"], case=case)
    payload = do_export_case(principal=P(demo.people["admin"]), case=case)["payload"]
    assert payload["scope"]["data_kinds"] == ["errand_content"]
    assert "errand_phone" in payload["scope"]["withheld_kinds"]
    assert "email" in payload["scope"]["withheld_kinds"]
    assert payload["data"]["profile"] == {"id": demo.people["alice"].pk}
    first = next(e for e in payload["data"]["errands"] if e["id"] == str(demo.alice_errand.pk))
    assert first["note"] == "One of us uses a wheelchair."
    assert "phone" not in first and "address" not in first
    assert "090-1234-5678" not in text_of(payload)

    monkeypatch.setattr(bundle, "declared_kinds", lambda: frozenset({"name"}))
    reads_before = AuditEvent.objects.filter(event="legal.data_unsealed").count()
    nothing = open_case(["errands", "messages"])
    do_approve_case(actor=demo.people["admin2"], case=nothing)
    payload = do_export_case(principal=P(demo.people["admin"]), case=nothing)["payload"]
    assert payload["data"] == {"errands": [], "messages": []}
    assert payload["scope"]["withheld_kinds"] == ["errand_content"]
    # Nothing was even unsealed.
    assert AuditEvent.objects.filter(event="legal.data_unsealed").count() == reads_before


def test_the_real_policy_is_respected(demo: Demo, open_case: Any) -> None:
    from hisho.legal.bundle import declared_kinds

    declared = declared_kinds()
    case = open_case()
    do_approve_case(actor=demo.people["admin2"], case=case)
    payload = do_export_case(principal=P(demo.people["admin"]), case=case)["payload"]
    assert set(payload["scope"]["data_kinds"]) <= declared
    assert not set(payload["scope"]["withheld_kinds"]) & declared


def test_export_keeps_to_the_period(demo: Demo, open_case: Any) -> None:
    long_ago = open_case(start=today() - dt.timedelta(days=400), end=today() - dt.timedelta(days=1))
    do_approve_case(actor=demo.people["admin2"], case=long_ago)
    data = do_export_case(principal=P(demo.people["admin"]), case=long_ago)["payload"]["data"]
    assert data["errands"] == [] and data["messages"] == []
    assert "profile" in data  # the profile is not bound to a period
    scope = do_export_case(principal=P(demo.people["admin"]), case=long_ago)["payload"]["scope"]
    assert scope["period"]["end"] == (today() - dt.timedelta(days=1)).isoformat()

    tomorrow = today() + dt.timedelta(days=1)
    future = open_case(["errands", "messages"], start=tomorrow, end=tomorrow)
    do_approve_case(actor=demo.people["admin2"], case=future)
    data = do_export_case(principal=P(demo.people["admin"]), case=future)["payload"]["data"]
    assert data == {"errands": [], "messages": []}


def test_the_bundle_is_signed(demo: Demo, open_case: Any) -> None:
    case = open_case(["errands"])
    do_approve_case(actor=demo.people["admin2"], case=case)
    document = do_export_case(principal=P(demo.people["admin"]), case=case)
    payload = verify_with_published_keys(document, published_keys())
    assert payload["type"] == "hisho.legal.disclosure"
    assert payload["case"]["id"] == str(case.pk)
    assert payload["case"]["opened_by_id"] == demo.people["admin"].pk
    assert payload["case"]["approved_by_id"] == demo.people["admin2"].pk
    assert payload["scope"]["person_id"] == demo.people["alice"].pk
    forged = json.loads(json.dumps(document))
    forged["payload"]["data"]["errands"][0]["title"] = "something else"
    with pytest.raises(BadSignature):
        verify_with_published_keys(forged, published_keys())
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCLOSED and len(case.bundle_sha256) == 64


def test_the_grant_is_bound_to_the_case_and_expires(demo: Demo, open_case: Any) -> None:
    alice, bob, admin = demo.people["alice"], demo.people["bob"], demo.people["admin"]
    case = open_case(["errands"])
    do_approve_case(actor=demo.people["admin2"], case=case)
    grant = DisclosureGrant.objects.get(case=case)
    reader = DisclosureReader(grant, P(admin))
    scope_of_bob = Scope(customer_id=bob.pk, errand_id=demo.bob_errand.pk)
    with pytest.raises(NotFound):  # another person's data
        unseal(reader, scope_of_bob, [], action=AccessAction.READ_ERRAND)
    with pytest.raises(NotFound):  # the profile is not in this case's categories
        unseal(reader, Scope(customer_id=alice.pk), [], action=AccessAction.READ_SEALED)
    # Someone else's errand claimed to be alice's: the vault checks the errand itself.
    with pytest.raises(NotFound):
        unseal(
            reader,
            Scope(customer_id=alice.pk, errand_id=demo.bob_errand.pk),
            [],
            action=AccessAction.READ_ERRAND,
        )
    # Without the grant, an admin is refused as always.
    with pytest.raises(NotFound):
        unseal(
            P(admin),
            Scope(customer_id=alice.pk, errand_id=demo.alice_errand.pk),
            [],
            action=AccessAction.READ_ERRAND,
        )
    # Time passes beyond the grant: the export is refused, and so is the vault.
    DisclosureGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(Conflict):
        do_export_case(principal=P(admin), case=case)
    with pytest.raises(NotFound):
        unseal(
            reader,
            Scope(customer_id=alice.pk, errand_id=demo.alice_errand.pk),
            [],
            action=AccessAction.READ_ERRAND,
        )


def test_every_step_is_audited_by_id(demo: Demo, open_case: Any) -> None:
    case = open_case(["errands", "messages"])
    do_defer_notice(
        actor=demo.people["admin"],
        case=case,
        until=timezone.now() + dt.timedelta(days=30),
        reason="Court order 2026-77 forbids telling the person for 30 days.",
    )
    do_approve_case(actor=demo.people["admin2"], case=case)
    do_export_case(principal=P(demo.people["admin"]), case=case)
    events = list(
        AuditEvent.objects.filter(target_type="legal.disclosurecase", target_id=str(case.pk))
        .order_by("id")
        .values_list("event", flat=True)
    )
    assert events[:4] == [
        "legal.case_opened",
        "legal.notice_deferred",
        "legal.case_approved",
        "legal.grant_issued",
    ]
    assert events[-1] == "legal.bundle_exported"
    unsealed = [e for e in events if e == "legal.data_unsealed"]
    # Two errands' content, the first one's sealed fields (the second has none), one chat.
    assert len(unsealed) == 2 + 1 + 1
    dump = json.dumps(
        list(
            AuditEvent.objects.filter(target_id=str(case.pk)).values(
                "event", "actor_id", "target_type", "target_id", "extra"
            )
        ),
        default=str,
    )
    # Distinctive texts only: a bare "197" turns up in random UUIDs.
    for text in ("Tokyo", "Prosecutors", "Art. 197(2)", "TKY-2026", "Court order", "Shibuya"):
        assert text not in dump
    exported = AuditEvent.objects.filter(event="legal.bundle_exported").get()
    assert exported.extra["errands"] == 2 and exported.extra["messages"] == 2
    assert verify_log().ok


def test_a_reader_under_a_case_leaves_the_assistants_access_alone(
    demo: Demo, open_case: Any
) -> None:
    """New data after the export is not the case's business, and a new errand of alice's
    is readable under the grant only if it falls in the period (it does: today)."""
    alice = demo.people["alice"]
    errand = do_create_errand(actor=alice, title="Renew my residence card")
    do_post_message(actor=alice, errand=errand, body="Appointment is on Monday")
    case = open_case(["errands"])
    do_approve_case(actor=demo.people["admin2"], case=case)
    data = do_export_case(principal=P(demo.people["admin"]), case=case)["payload"]["data"]
    assert "Renew my residence card" in [e["title"] for e in data["errands"]]
    assert "Appointment" not in json.dumps(data)


def test_case_texts_pass_dlp_before_they_are_stored(demo: Demo) -> None:
    """House rule 4 holds for staff input too: a card number typed into a case (here its
    rejection reason and its reference) is masked before it is stored or exported."""
    from hisho.legal.actions import do_open_case

    case = do_open_case(
        actor=demo.people["admin"],
        authority="Tokyo District Public Prosecutors Office",
        legal_basis="Code of Criminal Procedure, Art. 197(2)",
        reference="card 4111 1111 1111 1111",
        person_id=demo.people["alice"].pk,
        categories=["profile"],
        period_start=today() - dt.timedelta(days=30),
        period_end=today(),
        deadline=today() + dt.timedelta(days=14),
    )
    case = do_reject_case(
        actor=demo.people["admin2"], case=case, reason="It quotes 4111-1111-1111-1111."
    )
    case.refresh_from_db()
    assert "4111" not in case.reference and "••••1111" in case.reference
    assert "4111" not in case.rejection_reason
