"""policy.yaml: it holds together, its keys are fideslang's, and /privacy renders it in
English and Japanese with its version and date (POLICY K12, K13)."""

from __future__ import annotations

import copy
from html import escape
from typing import Any

import pytest
from django.core.checks import run_checks

from hisho.privacy.policy import Policy, PolicyError, current_policy, fideslang_keys


def test_policy_loads_and_every_key_is_a_vendored_fideslang_key() -> None:
    policy = current_policy()
    categories, uses = fideslang_keys()
    assert {kind.category for kind in policy.data.values()} <= categories
    assert {purpose.data_use for purpose in policy.purposes.values()} <= uses
    assert policy.consent_purposes, "some purposes rest on consent"
    assert len(policy.digest) == 64


def test_vendored_keys_are_fideslangs_own() -> None:
    fideslang = pytest.importorskip("fideslang.default_taxonomy")
    categories, uses = fideslang_keys()
    assert categories <= {c.fides_key for c in fideslang.DEFAULT_TAXONOMY.data_category}
    assert uses <= {u.fides_key for u in fideslang.DEFAULT_TAXONOMY.data_use}


def _broken(edit: Any) -> dict[str, Any]:
    document = copy.deepcopy(current_policy().document)
    edit(document)
    return document


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["data"][0].update(category="user.made_up"), "not a vendored fideslang"),
        (lambda d: d["purposes"][0].update(data_use="selling"), "not a vendored fideslang"),
        (lambda d: d["data"][0]["purposes"].append("profiling"), "undeclared profiling"),
        (lambda d: d["recipients"][0]["receives"].append("dna"), "undeclared dna"),
        (lambda d: d["purposes"][0]["title"].pop("ja"), "exactly the languages"),
        (lambda d: d["purposes"].append(copy.deepcopy(d["purposes"][0])), "twice"),
        (lambda d: d["data"][1]["fields"].append(d["data"][0]["fields"][0]), "two kinds"),
        (lambda d: d["recipients"][0].update(kind="broker"), "kind must be"),
        (lambda d: d.update(format="other/1"), "format"),
    ],
)
def test_a_policy_that_does_not_hold_together_is_refused(edit: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.from_document(_broken(edit))


@pytest.mark.django_db
def test_retention_longer_than_promised_stops_start_up(settings: Any) -> None:
    settings.HISHO_CONNECTION_DELETE_DAYS = 91
    errors = [m for m in run_checks() if m.id == "privacy.E002"]
    assert len(errors) == 1 and "90" in errors[0].msg
    settings.HISHO_CONNECTION_DELETE_DAYS = 30
    assert not [m for m in run_checks() if m.id == "privacy.E002"]


@pytest.mark.django_db
def test_privacy_page_in_english_with_version_date_and_contact(client: Any, settings: Any) -> None:
    settings.HISHO_PRIVACY_CONTACT_EMAIL = "privacy@hisho.example"
    response = client.get("/privacy/en/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Privacy policy" in html and "Version 1" in html
    assert "user.contact.phone_number" in html  # fideslang keys shown with each kind
    assert "Counting page visits" in html
    assert "privacy@hisho.example" in html
    # The retention promise, with the configured periods.
    assert "shortened after 7 days" in html and "deleted after 90 days" in html
    # Every recipient is named, even the one that gets nothing about anyone.
    for recipient in current_policy().recipients.values():
        assert escape(recipient.name.en) in html


@pytest.mark.django_db
def test_privacy_page_in_japanese(client: Any) -> None:
    html = client.get("/privacy/ja/").content.decode()
    assert "プライバシーポリシー" in html and "版 1" in html
    assert "メールアドレス" in html and "Cookie" in html
    assert 'lang="ja"' in html
    # Accept-Language picks the language for /privacy/.
    html = client.get("/privacy/", headers={"Accept-Language": "ja"}).content.decode()
    assert "プライバシーポリシー" in html


@pytest.mark.django_db
def test_unknown_language_and_version_are_404(client: Any) -> None:
    assert client.get("/privacy/fr/").status_code == 404
    assert client.get("/privacy/versions/99/").status_code == 404
    assert client.get("/privacy/nope.schema.json").status_code == 404


@pytest.mark.django_db
def test_policy_as_data_and_schemas_are_published(client: Any) -> None:
    body = client.get("/privacy/policy.json").json()
    assert body["version"] == 1 and body["published"] is True
    assert body["digest"] == current_policy().digest
    assert body["policy"]["format"] == "hisho-policy/1"
    schema = client.get("/privacy/export.schema.json")
    assert schema.status_code == 200 and schema["Content-Type"] == "application/schema+json"


@pytest.mark.django_db
def test_privacy_page_does_not_copy_the_seed_policies(client: Any) -> None:
    html = client.get("/privacy/en/").content.decode()
    for phrase in (
        "personal identification information",
        "We may collect non-personal identification information",
        "We adopt appropriate data collection, storage and processing practices",
        "A cookie is a small data file",
    ):
        assert phrase not in html
