"""K7: alice's errand opens for alice and kenji (its assignee) only — through the vault
itself, the API, the web pages, Django's admin site and management commands."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from hisho.accounts.models import User
from hisho.demo import Demo
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand
from hisho.errors import NotFound
from hisho.vault.models import AccessAction
from hisho.vault.sealing import Place, Scope, unseal
from tests.principals import P
from tests.vault.conftest import ALICE_SECRETS, ALICE_TITLE

OUTSIDERS = ["bob", "yuki", "admin", "admin2", "partner"]


@pytest.fixture
def superuser(db: None, monkeypatch: pytest.MonkeyPatch) -> User:
    """A Django superuser made the way operators make one."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root-of-all-powers-1")
    call_command("createsuperuser", email="root@example.com", interactive=False, verbosity=0)
    user = User.objects.get(email="root@example.com")
    assert user.is_superuser and user.is_staff
    return user


def fresh(demo: Demo) -> Errand:
    return Errand.objects.get(pk=demo.alice_errand.pk)


def assert_no_secrets(text: str) -> None:
    for secret in ALICE_SECRETS:
        assert secret not in text


@pytest.mark.parametrize("handle", ["alice", "kenji"])
def test_owner_and_assignee_unseal(demo: Demo, handle: str) -> None:
    reader, errand = demo.people[handle], fresh(demo)
    content = read_content(P(reader), errand)
    assert (content.title, content.intact) == (ALICE_TITLE, True)
    assert "vegetarian options" in content.details
    sealed = read_sealed(P(reader), errand)
    assert (sealed.phone, sealed.note) == ("090-1234-5678", "One of us uses a wheelchair.")
    assert sealed.address and "1-2-3 Jingumae" in sealed.address
    bodies = [m.body for m in read_messages(P(reader), errand)]
    assert bodies[0] == "Thank you! Friday at 19:00 if possible." and len(bodies) == 2


@pytest.mark.parametrize("handle", [*OUTSIDERS, "superuser", "anonymous", "nobody"])
def test_nobody_else_unseals(demo: Demo, superuser: User, handle: str) -> None:
    from django.contrib.auth.models import AnonymousUser

    special: dict[str, Any] = {"superuser": superuser, "anonymous": AnonymousUser(), "nobody": None}
    who = special[handle] if handle in special else demo.people[handle]
    errand = fresh(demo)
    # As a principal with a passed second factor, and as a bare user (which no door
    # accepts: fail closed).
    readers = [who, P(who)] if isinstance(who, User) else [who]
    for reader in readers:
        for read in (read_content, read_sealed, read_messages):
            with pytest.raises(NotFound):
                read(reader, errand)
        # The vault's own door asks the same policy, whatever the caller passes it.
        with pytest.raises(NotFound):
            unseal(
                reader,
                Scope(customer_id=errand.customer_id, errand_id=errand.pk),
                [(Place("desk_errand", str(errand.pk), "phone"), errand.sealed_phone)],
                action=AccessAction.READ_SEALED,
            )


@pytest.mark.parametrize("handle", ["anonymous", "alice", "bob", "kenji", "yuki", "admin"])
def test_api(api_as: Any, demo: Demo, handle: str) -> None:
    client, errand_id = api_as(handle), demo.alice_errand.pk
    detail = client.get(f"/errands/{errand_id}")
    sealed = client.get(f"/errands/{errand_id}/sealed")
    chat = client.get(f"/errands/{errand_id}/messages")
    listing = client.get("/errands")
    if handle == "anonymous":
        assert {r.status_code for r in (detail, sealed, chat, listing)} == {401}
        return
    if handle in ("alice", "kenji"):
        assert detail.json()["title"] == ALICE_TITLE
        assert sealed.json()["phone"] == "090-1234-5678"
        assert len(chat.json()["items"]) == 2
        return
    assert sealed.status_code == chat.status_code == 404
    if handle == "admin":
        # Triage view only: the redacted summary, never title, details or sealed fields.
        assert detail.status_code == 200 and detail.json()["view"] == "triage"
        assert "title" not in detail.json() and "details" not in detail.json()
        assert any(item["id"] == str(errand_id) for item in listing.json()["items"])
    else:
        assert detail.status_code == 404
    for response in (detail, sealed, chat, listing):
        assert_no_secrets(response.content.decode())


@pytest.mark.parametrize("handle", ["alice", "bob", "kenji", "yuki", "admin", "partner"])
def test_web_pages(web_as: Any, demo: Demo, handle: str) -> None:
    client = web_as(handle)
    page = client.get(f"/errands/{demo.alice_errand.pk}/")
    listing = client.get("/errands/")
    if handle in ("alice", "kenji"):
        assert page.status_code == 200
        for secret in ALICE_SECRETS:
            assert secret in page.content.decode()
        return
    # Admins get the triage page; everyone else the same 404 as for a missing errand.
    assert page.status_code == (200 if handle == "admin" else 404)
    assert_no_secrets(page.content.decode())
    assert_no_secrets(listing.content.decode())


def test_django_admin_shows_no_content(demo: Demo, superuser: User) -> None:
    from django.test import Client

    from hisho.accounts.actions import do_update_profile

    do_update_profile(
        actor=demo.people["alice"],
        changes={"phone": "+81 80 7777 1234", "mailing_address": "9-9 Secret Lane"},
    )
    client = Client()
    client.force_login(superuser)
    errand_id, alice_id = demo.alice_errand.pk, demo.people["alice"].pk
    pages = {
        "errands": client.get("/django-admin/desk/errand/"),
        "errand": client.get(f"/django-admin/desk/errand/{errand_id}/change/"),
        "people": client.get("/django-admin/accounts/user/"),
        "alice": client.get(f"/django-admin/accounts/user/{alice_id}/change/"),
    }
    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert str(errand_id) in pages["errands"].content.decode()  # the errand is listed…
    for response in pages.values():  # …but none of what alice sealed is
        text = response.content.decode()
        assert_no_secrets(text)
        assert "7777 1234" not in text and "Secret Lane" not in text
    # The vault's own tables are not on the admin site at all.
    assert client.get("/django-admin/vault/customerkey/").status_code == 404


def test_dumpdata_holds_no_plaintext(demo: Demo) -> None:
    out = io.StringIO()
    call_command("dumpdata", "desk", "accounts", "vault", "audit", stdout=out)
    dump = out.getvalue()
    rows = json.loads(dump)
    errand_rows = [r for r in rows if r["model"] == "desk.errand"]
    assert str(demo.alice_errand.pk) in {r["pk"] for r in errand_rows}
    assert_no_secrets(dump)
    assert ALICE_TITLE not in dump and "Shibuya" not in dump


def test_shell_cannot_unseal_without_being_a_participant(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = f"""
from hisho.accounts.models import User
from hisho.desk.content import read_sealed
from hisho.desk.models import Errand
from hisho.errors import NotFound
errand = Errand.objects.get(pk="{demo.alice_errand.pk}")
for reader in (None, User.objects.get(email="admin@example.com")):
    try:
        print("UNSEALED", read_sealed(reader, errand))
    except NotFound:
        print("refused")
print("stored", bytes(errand.sealed_phone)[:1].hex())
"""
    call_command("shell", command=code)
    out = capsys.readouterr().out
    assert out.count("refused") == 2 and "UNSEALED" not in out
    assert "stored 01" in out  # what the row holds is a version-1 ciphertext
    assert_no_secrets(out)
