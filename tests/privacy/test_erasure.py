"""Erasure (POLICY K8): after it, no row links to the person and none of their ciphertext
decrypts, their sessions are gone, their open errands were cancelled and the assistants
told — and everyone else is untouched. The receipt is signed and valid."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command

from hisho.accounts.actions import do_update_profile
from hisho.accounts.models import User
from hisho.audit.chain import PERSON_KEYS
from hisho.audit.models import AuditEvent, AuditSubject
from hisho.audit.verify import verify_log
from hisho.demo import Demo, email_of
from hisho.desk.actions import do_create_errand
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand, Message
from hisho.privacy.actions import do_set_consent
from hisho.privacy.actions.erasure import do_erase_account
from hisho.privacy.models import ConsentHow
from hisho.privacy.registry import person_links
from hisho.privacy.signatures import verify
from hisho.vault import crypto
from hisho.vault.errors import KeyUnavailable
from hisho.vault.keys import store
from tests.principals import P
from tests.privacy.test_export import validate
from tests.vault.conftest import ALICE_SECRETS, ALICE_TITLE

pytestmark = pytest.mark.django_db


def ciphertexts_of(user: User) -> list[tuple[str, str, bytes]]:
    """(scope, scope id, ciphertext) of every value sealed for `user`."""
    values: list[tuple[str, str, bytes]] = []
    for errand in Errand.objects.filter(customer=user):
        for column in ("title", "details", "triage_note", "phone", "address", "note"):
            token = getattr(errand, f"sealed_{column}")
            if token is not None:
                values.append(("errand", str(errand.pk), bytes(token)))
        values += [
            ("errand", str(errand.pk), bytes(m.sealed_body))
            for m in Message.objects.filter(errand=errand)
        ]
    if user.sealed_phone is not None:
        values.append(("profile", str(user.pk), bytes(user.sealed_phone)))
    return values


def opens(customer_id: int, scope: str, scope_id: str, token: bytes) -> bool:
    store().cache.clear()
    try:
        store().data_key_for_opening(
            uuid.UUID(bytes=crypto.key_id_of(token)), customer_id, scope, scope_id
        )
    except (KeyUnavailable, crypto.Unauthentic):
        return False
    return True


def rows_linking_to(person_id: int) -> dict[str, int]:
    """Every row of every table that points at `person_id` (foreign keys to the user model
    and columns holding a person's id), plus audit entries naming them as target."""
    found = {}
    for ref in person_links():
        column = ref.field.name if not ref.field.many_to_many else f"{ref.field.name}__id"
        count = ref.model._default_manager.filter(**{column: person_id}).count()
        if count:
            found[ref.label] = count
    targets = AuditEvent.objects.filter(
        target_type="accounts.user", target_id=str(person_id)
    ).count()
    if targets:
        found["audit.AuditEvent.target_id"] = targets
    extras = sum(
        1
        for entry in AuditEvent.objects.only("extra")
        if any((entry.extra or {}).get(key) == person_id for key in PERSON_KEYS)
    )
    if extras:
        found["audit.AuditEvent.extra"] = extras
    return found


def dump_text() -> str:
    """Every row of every table as text (what a database dump would hold)."""
    parts = []
    for model in apps.get_models():
        for row in model._default_manager.values():
            parts.append(json.dumps(row, default=str, ensure_ascii=False))
    return "\n".join(parts)


def test_api_erasure_leaves_nothing_of_alice_and_bob_untouched(
    api_as: Any, demo: Demo, run_worker: Any
) -> None:
    alice, bob, kenji = demo.people["alice"], demo.people["bob"], demo.people["kenji"]
    do_update_profile(actor=alice, changes={"phone": "+81 80 1234 0000", "name": "Alice A."})
    do_set_consent(actor=alice, purpose="surveys", granted=True, how=ConsentHow.API)
    client = api_as("alice")
    client.get("/errands")  # a connection record of hers
    read_sealed(P(kenji), demo.alice_errand)  # an access-log entry of hers
    alice = User.objects.get(pk=alice.pk)
    sealed = ciphertexts_of(alice)
    assert len(sealed) >= 10 and all(opens(alice.pk, *value) for value in sealed)
    bob_errand = Errand.objects.get(customer=bob)
    bob_title_before = read_content(P(bob), bob_errand).title

    response = client.delete("/me")  # she signed in just now: no re-authentication needed
    assert response.status_code == 200, response.content
    receipt = response.json()
    validate(receipt, "erasure-receipt")
    payload = verify(receipt)
    assert payload["account_id"] == alice.pk
    assert payload["erased"]["errands"] == 2 and payload["erased"]["errands_cancelled"] == 2
    assert payload["erased"]["data_keys_destroyed"] >= 2
    assert set(payload["erased"]["profile_fields"]) == {"name", "phone"}

    # No row links to her; no ciphertext of hers opens; her e-mail is nowhere.
    assert rows_linking_to(alice.pk) == {}
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not any(opens(alice.pk, *value) for value in sealed)
    text = dump_text()
    for secret in ["alice@example.com", "Alice A.", ALICE_TITLE, *ALICE_SECRETS]:
        assert secret not in text
    subject = AuditSubject.objects.get(ref=payload["audit_pseudonym"])
    assert subject.user_id is None and subject.wrapped_key is None
    assert verify_log().ok  # the audit chain still verifies

    # Her token died with her.
    assert client.get("/me").status_code == 401

    # Kenji, whose errand it was, is told by e-mail (ids only).
    run_worker()
    told = [m for m in mail.outbox if m.to == [kenji.email]]
    assert len(told) == 1 and str(demo.alice_errand.pk) in told[0].body
    assert ALICE_TITLE not in told[0].body

    # Bob and his errand are untouched.
    bob_errand = Errand.objects.get(pk=bob_errand.pk)
    assert read_content(P(bob), bob_errand).title == bob_title_before
    assert read_messages(P(bob), bob_errand) is not None
    assert api_as("bob").get("/me").json()["email"] == "bob@example.com"


def age_sign_in(token: str, seconds: int) -> None:
    """Make the token's sign-in `seconds` older, as if it happened that long ago."""
    from hisho.accounts.sessions import app_token_session

    session = app_token_session(token)
    assert session is not None
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= seconds
    session["account_authentication_methods"] = records
    session.save()


def test_erasure_after_an_old_sign_in_needs_reauthentication(api_as: Any, demo: Demo) -> None:
    client = api_as("alice")
    age_sign_in(client.headers["X-Session-Token"], 600)
    refused = client.delete("/me")
    assert refused.status_code == 401
    assert "reauthenticate" in refused.json()["detail"]
    assert User.objects.filter(pk=demo.people["alice"].pk).exists()
    assert client.get("/me/export").status_code == 401  # the same gate as the export

    # allauth's headless re-authentication (the password again) opens it; the session
    # gets a new token.
    wrong = client.client.post(
        "/_allauth/app/v1/auth/reauthenticate",
        json.dumps({"password": "not-it"}),
        content_type="application/json",
        headers=client.headers,
    )
    assert wrong.status_code == 400
    assert client.delete("/me").status_code == 401
    right = client.client.post(
        "/_allauth/app/v1/auth/reauthenticate",
        json.dumps({"password": "hisho-demo-2026"}),
        content_type="application/json",
        headers=client.headers,
    )
    assert right.status_code == 200, right.content
    client.headers["X-Session-Token"] = right.json()["meta"]["session_token"]
    assert client.delete("/me").status_code == 200
    assert not User.objects.filter(pk=demo.people["alice"].pk).exists()


@pytest.mark.parametrize("handle", ["kenji", "admin", "partner"])
def test_staff_cannot_erase_themselves_here(api_as: Any, handle: str, demo: Demo) -> None:
    response = api_as(handle).delete("/me")
    assert response.status_code == 403
    assert User.objects.filter(email=email_of(handle)).exists()


def test_anonymous_cannot_erase(api_as: Any) -> None:
    assert api_as("anonymous").delete("/me").status_code == 401


def test_web_erasure_asks_for_the_password_again(web_as: Any, demo: Demo) -> None:
    alice = demo.people["alice"]
    do_create_errand(actor=alice, title="Renew my residence card", phone="090-0000-1111")
    client = web_as("alice")
    page = client.get("/me/erase/")
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    # Survey answers are never linked to anyone, so erasure cannot find them: said first.
    assert "answers you gave to surveys stay" in page.content.decode()
    # Confirming without a recent sign-in goes to allauth's re-authentication first.
    response = client.post("/me/erase/", {"confirm": "erase"})
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response["Location"]
    assert User.objects.filter(pk=alice.pk).exists()
    form = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/me/erase/"' in form
    wrong = client.post("/accounts/reauthenticate/", {"password": "not-it", "next": "/me/erase/"})
    assert wrong.status_code == 200 and User.objects.filter(pk=alice.pk).exists()
    # The right password resumes the erasure she asked for (allauth keeps the POST).
    done = client.post(
        "/accounts/reauthenticate/", {"password": "hisho-demo-2026", "next": "/me/erase/"}
    )
    html = done.content.decode()
    assert "Your account is erased" in html and 'data-testid="receipt"' in html
    # What was kept, in words: the survey answers that erasure could not find among them.
    kept = html[html.index('data-testid="receipt-kept"') :]
    kept = kept[: kept.index("</dl>")]
    assert "Survey answers" in kept and "cannot be found" in kept
    assert "audit_log_entries" not in kept and "Audit-log entries" in kept
    assert not User.objects.filter(pk=alice.pk).exists()
    assert rows_linking_to(alice.pk) == {}
    assert client.get("/me/data/").status_code == 302  # signed out


def test_web_erasure_is_for_customers_only(web_as: Any) -> None:
    for handle in ("kenji", "admin"):
        assert web_as(handle).get("/me/erase/").status_code == 403
    assert web_as("anonymous").get("/me/erase/").status_code == 302


def test_a_refused_erasure_changes_nothing(demo: Demo, monkeypatch: Any) -> None:
    alice = demo.people["alice"]
    import hisho.privacy.actions.erasure as erasure

    def fail(**kwargs: Any) -> str:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(erasure, "do_erase_audit_subject", fail)
    before = Errand.objects.filter(customer=alice).count()
    with pytest.raises(RuntimeError):
        do_erase_account(actor=alice)
    assert Errand.objects.filter(customer=alice).count() == before
    store().cache.clear()
    assert read_content(P(alice), demo.alice_errand).title == ALICE_TITLE
    call_command("check")  # the keys are still consistent


def test_a_second_erasure_sent_at_once_is_a_409_not_a_500(demo: Any) -> None:
    """Two DELETE /api/v1/me in flight with one token: both passed sign-in, the first
    erased the account, the second found no row to lock (found by attacking the API)."""
    from hisho.accounts.models import User
    from hisho.errors import Conflict
    from hisho.privacy.actions.erasure import do_erase_account

    first = User.objects.get(pk=demo.people["bob"].pk)
    second = User.objects.get(pk=demo.people["bob"].pk)
    do_erase_account(actor=first)
    with pytest.raises(Conflict):
        do_erase_account(actor=second)
