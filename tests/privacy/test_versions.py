"""Policy versions and notices (POLICY K12): an admin publishes a new version (what
changed, in both languages); everyone is e-mailed; signed-in people see a notice until
they acknowledge it; purposes the version adds need fresh consent."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from hisho.demo import Demo
from hisho.errors import Conflict, Forbidden, InvalidInput
from hisho.privacy.actions import do_publish_policy_version
from hisho.privacy.models import Disclosure, PolicyAcknowledgement, PolicyVersion
from tests.privacy.conftest import new_purpose

pytestmark = pytest.mark.django_db

CHANGES = {
    "changes_en": "We now offer partner offers by e-mail, only with your consent.",
    "changes_ja": "提携先からのご案内を、同意いただいた場合のみメールでお送りします。",
}


def publish(admin: Any) -> PolicyVersion:
    return do_publish_policy_version(actor=admin, **CHANGES)


def test_version_bump_notifies_shows_banner_and_records_acknowledgement(
    demo: Demo, web_as: Any, changed_policy: Any, run_worker: Any
) -> None:
    changed_policy(new_purpose)
    admin_page = web_as("admin").post("/staff/privacy/", CHANGES)
    assert admin_page.status_code == 302
    version = PolicyVersion.objects.get(number=2)
    assert version.renewed_purposes == ["partner_offers"]
    assert version.published_by == demo.people["admin"]

    # Everyone active is e-mailed through the declared mail recipient, once.
    run_worker()
    addresses = sorted(m.to[0] for m in mail.outbox)
    assert addresses == sorted(p.email for p in demo.people.values())
    alice_mail = next(m for m in mail.outbox if m.to == [demo.people["alice"].email])
    assert "version 2" in alice_mail.subject and CHANGES["changes_en"] in alice_mail.body
    assert Disclosure.objects.filter(reference="policy_version:2").count() == len(addresses)
    from hisho.privacy.tasks import send_policy_notices

    assert send_policy_notices.call(2) == 0  # running it again sends nobody anything twice

    # Alice sees the notice on every page until she acknowledges it.
    alice = web_as("alice")
    page = alice.get("/errands/").content.decode()
    assert 'data-testid="policy-banner"' in page and "version 2" in page
    assert CHANGES["changes_en"] in page
    response = alice.post("/privacy/acknowledge/", {"version": "2", "next": "/errands/"})
    # The version asks about something new: she is taken to choose, nothing is assumed.
    assert response["Location"] == "/me/consents/"
    ack = PolicyAcknowledgement.objects.get(user=demo.people["alice"])
    assert ack.version == version and ack.how == "web"
    assert 'data-testid="policy-banner"' not in alice.get("/errands/").content.decode()
    assert "Offers from partners" in alice.get("/me/consents/").content.decode()
    # Bob has not acknowledged: his notice stays.
    assert 'data-testid="policy-banner"' in web_as("bob").get("/errands/").content.decode()


def test_japanese_speakers_get_the_japanese_notice(
    demo: Demo, changed_policy: Any, run_worker: Any, web_as: Any
) -> None:
    from hisho.accounts.actions import do_update_profile

    do_update_profile(actor=demo.people["bob"], changes={"language": "ja"})
    changed_policy(new_purpose)
    publish(demo.people["admin"])
    run_worker()
    bob_mail = next(m for m in mail.outbox if m.to == [demo.people["bob"].email])
    assert CHANGES["changes_ja"] in bob_mail.body
    page = web_as("bob").get("/errands/", headers={"Accept-Language": "ja"})
    assert CHANGES["changes_ja"] in page.content.decode()


def test_api_shows_and_acknowledges_the_version(
    demo: Demo, api_as: Any, changed_policy: Any
) -> None:
    alice = api_as("alice")
    before = alice.get("/me/policy").json()
    assert before["version"] == 1 and before["acknowledged"] is True
    changed_policy(new_purpose)
    publish(demo.people["admin"])
    notice = alice.get("/me/policy").json()
    assert notice["version"] == 2 and notice["acknowledged"] is False
    assert notice["renewed_purposes"] == ["partner_offers"]
    assert alice.post("/me/policy/acknowledge", {"version": 1}).status_code == 409
    assert alice.post("/me/policy/acknowledge", {"version": 7}).status_code == 404
    assert alice.post("/me/policy/acknowledge", {"version": "2"}).status_code == 422
    assert alice.post("/me/policy/acknowledge", {"version": 2}).json()["acknowledged"] is True
    assert alice.post("/me/policy/acknowledge", {"version": 2}).status_code == 200  # idempotent
    assert PolicyAcknowledgement.objects.filter(user=demo.people["alice"]).count() == 1
    assert api_as("bob").get("/me/policy").json()["acknowledged"] is False
    assert api_as("anonymous").get("/me/policy").status_code == 401


def test_only_admins_publish_and_only_a_changed_policy(
    demo: Demo, web_as: Any, changed_policy: Any
) -> None:
    for handle in ("alice", "kenji", "partner"):
        with pytest.raises(Forbidden):
            publish(demo.people[handle])
        assert web_as(handle).get("/staff/privacy/").status_code == 403
        assert web_as(handle).post("/staff/privacy/", CHANGES).status_code == 403
    with pytest.raises(Conflict):
        publish(demo.people["admin"])  # policy.yaml is what version 1 published
    changed_policy(new_purpose)
    with pytest.raises(InvalidInput):
        do_publish_policy_version(actor=demo.people["admin"], changes_en="x", changes_ja="")
    assert not PolicyVersion.objects.filter(number=2).exists()
    page = web_as("admin").post("/staff/privacy/", {"changes_en": "x" * 6000, "changes_ja": "y"})
    assert page.status_code == 200 and not PolicyVersion.objects.filter(number=2).exists()


def test_published_versions_stay_readable_as_they_were(
    demo: Demo, client: Any, changed_policy: Any
) -> None:
    changed_policy(new_purpose)
    publish(demo.people["admin"])
    current = client.get("/privacy/en/").content.decode()
    assert "Offers from partners" in current and "Version 2" in current
    first = client.get("/privacy/versions/1/en/").content.decode()
    assert "Offers from partners" not in first and "earlier version" in first
    assert "提携先からのご案内" in client.get("/privacy/versions/2/ja/").content.decode()
