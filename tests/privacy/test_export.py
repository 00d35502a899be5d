"""Export (POLICY K8, O3): one JSON document with everything Hisho holds about the
caller, valid against the published JSON Schema, signed with Ed25519 — and a one-byte
change breaks the signature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from hisho.demo import Demo
from hisho.privacy.signatures import BadSignature, verify
from tests.vault.conftest import ALICE_SECRETS, ALICE_TITLE

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[2] / "hisho" / "privacy" / "schemas"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return loaded


def validate(document: dict[str, Any], name: str = "export") -> None:
    jsonschema.Draft202012Validator.check_schema(schema(name))
    jsonschema.Draft202012Validator(
        schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)


def test_alices_export_is_complete_valid_and_signed(api_as: Any, demo: Demo) -> None:
    api_as("alice").put("/me/consents/surveys", {"granted": True})
    response = api_as("alice").get("/me/export")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    payload = verify(document)
    assert payload["account"]["email"] == "alice@example.com"
    text = json.dumps(payload, ensure_ascii=False)
    for secret in [ALICE_TITLE, *ALICE_SECRETS]:
        assert secret in text
    assert len(payload["errands"]) == 2
    assert {c["purpose"]: c["granted"] for c in payload["consents"]}["surveys"] is True
    assert payload["connections"], "her own connection records are part of it"


def test_a_one_byte_change_breaks_the_signature(api_as: Any, tmp_path: Path) -> None:
    document = api_as("alice").get("/me/export").json()
    raw = json.dumps(document, ensure_ascii=False).encode()
    good = tmp_path / "export.json"
    good.write_bytes(raw)
    call_command("verify-export", str(good))  # no error

    position = raw.index(b"Shibuya")
    changed = raw[:position] + b"X" + raw[position + 1 :]
    bad = tmp_path / "changed.json"
    bad.write_bytes(changed)
    with pytest.raises(BadSignature):
        verify(json.loads(changed))
    with pytest.raises(CommandError, match="NOT VALID: invalid"):
        call_command("verify-export", str(bad))


def test_verify_export_with_a_saved_copy_of_the_published_keys(
    api_as: Any, client: Any, tmp_path: Path
) -> None:
    document = api_as("alice").get("/me/export").json()
    (tmp_path / "export.json").write_text(json.dumps(document))
    keys = client.get("/.well-known/hisho-signing-keys.json").json()
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    call_command(
        "verify-export", str(tmp_path / "export.json"), "--keys", str(tmp_path / "keys.json")
    )
    (tmp_path / "other.json").write_text(json.dumps({"keys": []}))
    with pytest.raises(CommandError, match="unknown_key"):
        call_command(
            "verify-export", str(tmp_path / "export.json"), "--keys", str(tmp_path / "other.json")
        )
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(CommandError, match="not a readable JSON file"):
        call_command("verify-export", str(tmp_path / "junk.json"))


@pytest.mark.parametrize("handle", ["bob", "kenji", "yuki", "admin", "partner"])
def test_nobody_elses_export_holds_alices_data(api_as: Any, handle: str) -> None:
    response = api_as(handle).get("/me/export")
    assert response.status_code == 200
    validate(response.json())
    text = json.dumps(response.json(), ensure_ascii=False)
    assert "alice@example.com" not in text
    for secret in [ALICE_TITLE, *ALICE_SECRETS]:
        assert secret not in text


def test_anonymous_gets_401(api_as: Any, web_as: Any) -> None:
    assert api_as("anonymous").get("/me/export").status_code == 401
    assert web_as("anonymous").get("/me/data/export/").status_code == 302
    assert web_as("anonymous").get("/me/data/").status_code == 302


def test_download_button_gives_the_same_signed_document(web_as: Any) -> None:
    client = web_as("alice")
    page = client.get("/me/data/").content.decode()
    assert 'href="/me/data/export/"' in page and ALICE_TITLE in page
    # Taking everything out needs a recent sign-in: allauth asks for the password again.
    asked = client.get("/me/data/export/")
    assert asked.status_code == 302 and "/accounts/reauthenticate/" in asked["Location"]
    response = client.post(
        "/accounts/reauthenticate/",
        {"password": "hisho-demo-2026", "next": "/me/data/export/"},
        follow=True,
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="hisho-export.json"'
    document = json.loads(response.content)
    validate(document)
    assert verify(document)["account"]["email"] == "alice@example.com"
    assert client.post("/me/data/export/").status_code == 405


def test_my_data_page_is_only_ever_ones_own(web_as: Any) -> None:
    for handle in ("bob", "kenji", "admin"):
        page = web_as(handle).get("/me/data/").content.decode()
        assert "alice@example.com" not in page and ALICE_TITLE not in page
        assert "090-1234-5678" not in page


def test_clearing_an_optional_field_destroys_its_ciphertext(api_as: Any, demo: Demo) -> None:
    from hisho.accounts.models import User

    alice = api_as("alice")
    alice.patch("/me", {"phone": "+81 80 1234 0000", "mailing_address": "1-1 Chiyoda"})
    stored = User.objects.get(pk=demo.people["alice"].pk)
    assert stored.sealed_phone is not None and b"1234" not in bytes(stored.sealed_phone)
    alice.patch("/me", {"phone": None})
    stored = User.objects.get(pk=demo.people["alice"].pk)
    assert stored.sealed_phone is None and stored.sealed_mailing_address is not None
    profile = verify(alice.get("/me/export").json())["profile"]
    assert profile["phone"] is None and profile["mailing_address"] == "1-1 Chiyoda"


@pytest.mark.parametrize(
    ("document", "keys"),
    [
        ('{"payload": {"a": ' + "[" * 5000 + "]" * 5000 + "}}", None),
        ('{"payload": {}, "signature": {"alg": "Ed25519", "key_id": "x", "value": "AA"}}', "[]"),
        ('{"payload": {}, "signature": {"alg": "Ed25519", "key_id": "x", "value": "AA"}}', "null"),
        (
            '{"payload": {}, "signature": {"alg": "Ed25519", "key_id": "x", "value": "AA"}}',
            '{"keys": 5}',
        ),
    ],
    ids=["nested-deep", "keys-a-list", "keys-null", "keys-not-a-list"],
)
def test_verify_export_answers_hostile_files_in_one_line(
    document: str, keys: str | None, tmp_path: Path, db: None
) -> None:
    """They printed a traceback (a deep file, a key set that is not one), and `null` as
    the key set fell back to this service's own keys (found by attacking the command)."""
    path = tmp_path / "doc.json"
    path.write_text(document)
    args = [str(path)]
    if keys is not None:
        (tmp_path / "keys.json").write_text(keys)
        args += ["--keys", str(tmp_path / "keys.json")]
    with pytest.raises(CommandError) as refused:
        call_command("verify-export", *args)
    assert refused.value.returncode == 2 and "\n" not in str(refused.value)


def test_the_offers_she_followed_are_in_her_export(api_as: Any, web_as: Any) -> None:
    """policy.yaml declares offer clicks as read by the person (`offer_clicks`), and the
    export is everything Hisho holds about them: it had no such list."""
    from tests.partners.test_offers import OFFER, _approved

    offer_id = _approved(api_as)
    assert web_as("alice").post(f"/go/{offer_id}/").status_code == 303
    document = api_as("alice").get("/me/export").json()
    validate(document)
    (click,) = verify(document)["offer_clicks"]
    assert (click["offer_id"], click["title"], click["url"]) == (
        offer_id,
        OFFER["title"],
        OFFER["url"],
    )
    assert verify(api_as("bob").get("/me/export").json())["offer_clicks"] == []


def test_her_settings_and_the_statistics_that_counted_her_are_in_her_export(
    api_as: Any, demo: Demo
) -> None:
    """policy.yaml's `account` (approve_assignees, notification preferences) and
    `statistics_contributions` are read by the person: the export had neither."""
    from hisho.partners.actions import do_release_report
    from hisho.partners.models import ReleaseContribution

    alice = api_as("alice")
    assert alice.put("/me/notifications", {"email": False, "push": True}).status_code == 200
    assert alice.patch("/me", {"approve_assignees": True}).status_code == 200
    release = do_release_report(
        actor=demo.people["partner"], report="customers_by_profile", epsilon=0.25
    )
    # Whether the report counted her depends on her profile and consent: say it did.
    ReleaseContribution.objects.get_or_create(release=release, person=demo.people["alice"])
    document = alice.get("/me/export").json()
    validate(document)
    payload = verify(document)
    assert payload["account"]["approve_assignees"] is True
    assert payload["account"]["notifications"] == {"email": False, "push": True}
    (counted,) = payload["statistics_contributions"]
    assert counted["release_id"] == str(release.pk)
    assert (counted["report"], counted["epsilon"]) == ("customers_by_profile", "0.250")
    # Staff are never counted: their list is empty, and their settings are theirs.
    kenji = verify(api_as("kenji").get("/me/export").json())
    assert kenji["statistics_contributions"] == []
    assert kenji["account"]["notifications"] == {"email": True, "push": True}
