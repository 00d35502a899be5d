"""Outreach on the web for admins (/staff/outreach/): write a newsletter or a survey, send
it, follow its deliveries and see a survey's aggregate results — the same actions as the
API, so the same rules: admins only, DLP on every text, small groups suppressed."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.accounts.actions import do_create_user
from hisho.demo import Demo
from hisho.outreach.actions import do_answer_survey
from hisho.outreach.models import Campaign, Delivery
from hisho.privacy.actions import do_set_consent
from hisho.privacy.models import ConsentHow
from tests.outreach.conftest import Mailbox
from tests.principals import P

pytestmark = pytest.mark.django_db

NEWSLETTER = {
    "kind": "newsletter",
    "subject_en": "Autumn news",
    "subject_ja": "秋のお知らせ",
    "body_en": "Our new hours.\nCall us on card 4111 1111 1111 1111.",
    "body_ja": "新しい営業時間です。",
}


@pytest.mark.parametrize("handle", ["alice", "kenji", "partner", "anonymous"])
def test_only_admins_see_or_write_campaigns(web_as: Any, handle: str) -> None:
    client = web_as(handle)
    page = client.get("/staff/outreach/")
    posted = client.post("/staff/outreach/", NEWSLETTER)
    expected = 302 if handle == "anonymous" else 403  # anonymous: to the sign-in page
    assert page.status_code == expected and posted.status_code == expected
    assert not Campaign.objects.exists()


def test_an_admin_writes_a_newsletter_as_a_draft_and_sends_it(
    web_as: Any, demo: Demo, smtp: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = web_as("admin")
    assert admin.post("/staff/outreach/", NEWSLETTER).status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.status == "draft" and "4111 1111 1111 1111" not in campaign.body_en
    listing = admin.get("/staff/outreach/").content.decode()
    assert "Autumn news" in listing and f"/staff/outreach/{campaign.pk}/" in listing
    assert (
        "秋のお知らせ"
        in web_as("admin")
        .get("/staff/outreach/", headers={"accept-language": "ja"})
        .content.decode()
        or "Autumn news" in listing
    )

    do_set_consent(
        actor=demo.people["alice"], purpose="newsletters", granted=True, how=ConsentHow.API
    )
    # Not an admin: nothing is sent.
    assert web_as("kenji").post(f"/staff/outreach/{campaign.pk}/send/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    with django_capture_on_commit_callbacks(execute=True):
        sent = admin.post(f"/staff/outreach/{campaign.pk}/send/")
    assert sent.status_code == 302
    run_worker()
    campaign.refresh_from_db()
    assert campaign.status != "draft"
    page = admin.get(f"/staff/outreach/{campaign.pk}/").content.decode()
    assert "Our new hours." in page and "4111 1111 1111 1111" not in page


def test_bad_input_is_refused_and_nothing_is_kept(web_as: Any) -> None:
    admin = web_as("admin")
    empty = admin.post("/staff/outreach/", {**NEWSLETTER, "subject_en": ""})
    unknown = admin.post("/staff/outreach/", {**NEWSLETTER, "kind": "leaflet"})
    no_questions = admin.post("/staff/outreach/", {**NEWSLETTER, "kind": "survey"})
    assert (empty.status_code, unknown.status_code, no_questions.status_code) == (422, 422, 422)
    assert not Campaign.objects.exists()
    assert "Our new hours." in empty.content.decode()  # what was typed is not lost
    assert admin.get("/staff/outreach/not-a-uuid/").status_code == 404


def test_survey_results_on_the_page_suppress_small_groups(
    web_as: Any, demo: Demo, smtp: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = web_as("admin")
    survey = {
        **NEWSLETTER,
        "kind": "survey",
        "q0_kind": "scale",
        "q0_en": "How happy are you?",
        "q0_ja": "満足度は？",
        "q1_kind": "text",
        "q1_en": "Anything else?",
        "q1_ja": "その他",
    }
    assert admin.post("/staff/outreach/", survey).status_code == 302
    campaign = Campaign.objects.get()
    assert [q["kind"] for q in campaign.questions] == ["scale", "text"]
    people = [
        do_create_user(email=f"voter{i}@example.com", password=None, verified=True)
        for i in range(6)
    ]
    for person in people:
        do_set_consent(actor=person, purpose="surveys", granted=True, how=ConsentHow.API)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/staff/outreach/{campaign.pk}/send/")
    run_worker()
    for i, person in enumerate(people):
        delivery = Delivery.objects.get(campaign=campaign, person=person)
        do_answer_survey(
            actor=P(person), delivery=delivery, answers=[{"question": 0, "value": 4 if i else 2}]
        )
    page = admin.get(f"/staff/outreach/{campaign.pk}/").content.decode()
    # No average: beside "4: 5" and 6 answers, 3.67 would say the sixth chose 2.
    assert "6 answers" in page and "average" not in page
    # One chose 2, a small group: no step is shown, or "4: 5" beside the 6 answers would
    # say the sixth chose one of the others.
    assert "4: 5" not in page and "4: <span" in page
    assert "2: <span" in page and "too few to show" in page
