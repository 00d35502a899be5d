"""Surveys (issue 21): answers collected by Hisho, free text DLP-redacted, results only as
aggregates with small groups suppressed; bounces and complaints through a signed webhook."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from hisho.accounts.actions import do_create_user
from hisho.demo import Demo
from hisho.outreach.audience import is_suppressed
from hisho.outreach.models import Delivery, Suppression, SurveyAnswer
from hisho.outreach.webhooks import signature_for
from hisho.privacy.actions import do_set_consent
from hisho.privacy.models import ConsentHow
from tests.outreach.conftest import Mailbox
from tests.outreach.test_outreach import send

SURVEY = {
    "kind": "survey",
    "subject": {"en": "How are we doing?", "ja": "ご意見をお聞かせください"},
    "body": {"en": "Three quick questions.", "ja": "3 つの質問です。"},
    "questions": [
        {
            "kind": "choice",
            "text": {"en": "Which errands?", "ja": "どの用件？"},
            "options": [{"en": "Dining", "ja": "飲食"}, {"en": "Travel", "ja": "旅行"}],
        },
        {"kind": "scale", "text": {"en": "How happy?", "ja": "満足度"}, "min": 1, "max": 5},
        {"kind": "text", "text": {"en": "Anything else?", "ja": "その他"}},
    ],
}


def invited(api_as: Any, demo: Demo, capture: Any, run_worker: Any, extra: int) -> list[Any]:
    people = [demo.people["alice"], demo.people["bob"]] + [
        do_create_user(email=f"voter{i}@example.com", password=None, verified=True)
        for i in range(extra)
    ]
    for person in people:
        do_set_consent(actor=person, purpose="surveys", granted=True, how=ConsentHow.API)
    started = send(api_as, SURVEY, capture)
    run_worker()
    return [started["id"], people]


def test_answers_are_kept_apart_from_people_and_shown_only_as_aggregates(
    api_as: Any, demo: Demo, smtp: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from hisho.outreach.actions import do_answer_survey
    from tests.principals import P

    campaign_id, people = invited(api_as, demo, django_capture_on_commit_callbacks, run_worker, 4)
    assert len(smtp.campaign) == 6
    [invitation] = api_as("alice").get("/me/survey-invitations").json()
    answered = api_as("alice").post(
        f"/me/survey-invitations/{invitation['id']}/answers",
        {
            "answers": [
                {"question": 0, "choice": 1},
                {"question": 1, "value": 5},
                {"question": 2, "text": "Call me on 090-1234-5678, card 4111 1111 1111 1111"},
            ]
        },
    )
    assert answered.status_code == 200, answered.content
    texts = list(SurveyAnswer.objects.exclude(text="").values_list("text", flat=True))
    assert texts and "090-1234-5678" not in texts[0] and "4111 1111 1111 1111" not in texts[0]
    # Once only.
    again = api_as("alice").post(
        f"/me/survey-invitations/{invitation['id']}/answers",
        {"answers": [{"question": 0, "choice": 0}]},
    )
    assert again.status_code == 409
    # Too few answers yet: nothing but the counts of answers.
    results = api_as("admin").get(f"/outreach/campaigns/{campaign_id}/results").json()
    assert all(q["suppressed"] and q["cells"] == [] for q in results["questions"])
    for person in people[1:]:
        delivery = Delivery.objects.get(campaign_id=campaign_id, person=person)
        do_answer_survey(actor=P(person), delivery=delivery, answers=[{"question": 0, "choice": 0}])
    results = api_as("admin").get(f"/outreach/campaigns/{campaign_id}/results").json()
    choice = results["questions"][0]
    assert choice["answers"] == 6 and not choice["suppressed"]
    # Five chose Dining, one chose Travel (a group too small): six answers less "Dining: 5"
    # would say Travel is 1, so Dining is hidden with it (complementary suppression).
    assert choice["cells"] == [{"key": 0, "count": None}, {"key": 1, "count": None}]
    assert results["questions"][1]["suppressed"] and results["questions"][2]["texts"] == []
    body = json.dumps(results)
    for person in people:
        assert person.email not in body and (not person.name or person.name not in body)


def test_someone_elses_invitation_and_oversize_answers_change_nothing(
    api_as: Any, demo: Demo, smtp: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invited(api_as, demo, django_capture_on_commit_callbacks, run_worker, 0)
    [alices] = api_as("alice").get("/me/survey-invitations").json()
    url = f"/me/survey-invitations/{alices['id']}/answers"
    one = {"answers": [{"question": 0, "choice": 0}]}
    for handle in ("bob", "kenji", "admin"):
        assert api_as(handle).post(url, one).status_code == 404
    alice = api_as("alice")
    for bad in [
        {"answers": [{"question": 2, "text": "x" * 2001}]},
        {"answers": [{"question": 0, "choice": 7}]},
        {"answers": [{"question": 1, "value": 9}]},
        {"answers": [{"question": 9, "choice": 0}]},
        {"answers": [{"question": 0, "text": "wrong field"}]},
        {"answers": [{"question": 0, "choice": 0}, {"question": 0, "choice": 1}]},
    ]:
        assert alice.post(url, bad).status_code == 422, bad
    assert not SurveyAnswer.objects.exists()
    assert api_as("anonymous").post(url, one).status_code == 401


def signed(body: bytes, secret: str, at: int | None = None) -> dict[str, str]:
    at = at or int(time.time())
    return {"Hisho-Signature": f"t={at},v1={signature_for(secret, at, body)}"}


def test_a_signed_hard_bounce_or_complaint_stops_further_sends(
    api_as: Any,
    demo: Demo,
    smtp: Mailbox,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.HISHO_OUTREACH_WEBHOOK_SECRET = "whsec-test"
    alice, bob = demo.people["alice"], demo.people["bob"]
    for person in (alice, bob):
        do_set_consent(actor=person, purpose="surveys", granted=True, how=ConsentHow.API)
    url = "/webhooks/outreach/survey_service"
    client = Client()
    bounce = json.dumps(
        {"type": "bounce", "bounce_type": "hard", "recipient": alice.email}
    ).encode()
    # Unsigned, wrongly signed, stale, for an undeclared processor: 400, nothing changes.
    for headers, path in [
        ({}, url),
        (signed(bounce, "not-the-secret"), url),
        (signed(bounce, "whsec-test", int(time.time()) - 3600), url),
        (signed(bounce, "whsec-test"), "/webhooks/outreach/somebody_else"),
    ]:
        response = client.post(path, bounce, content_type="application/json", headers=headers)
        assert response.status_code == 400
    assert not Suppression.objects.exists()
    soft = json.dumps({"type": "bounce", "bounce_type": "soft", "recipient": bob.email}).encode()
    assert client.post(
        url, soft, content_type="application/json", headers=signed(soft, "whsec-test")
    ).json() == {"ok": True, "suppressed": False}
    ok = client.post(
        url, bounce, content_type="application/json", headers=signed(bounce, "whsec-test")
    )
    assert ok.status_code == 200 and ok.json()["suppressed"] is True
    assert is_suppressed(alice.email) and not is_suppressed(bob.email)
    assert alice.email not in Suppression.objects.get().address_digest
    send(api_as, SURVEY, django_capture_on_commit_callbacks)
    run_worker()
    assert [a for d in smtp.campaign for a in d.envelope_to] == [bob.email]


NINES = "9" * 400


# Signature headers that are not `t=<unix seconds>,v1=<64 hex digits>`, each once ({now}:
# the time, {sig}: the right signature for it). A non-ASCII v1 once raised TypeError in
# hmac.compare_digest and a 400-digit t OverflowError in the time check: both were 500s;
# the others were accepted with a valid signature somewhere in them.
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("t={now},v1=\xe9", id="non-ascii v1"),
        pytest.param("t={now},v1=\xe9" + "0" * 63, id="non-ascii v1 of 64"),
        pytest.param(f"t={NINES},v1={{sig}}", id="t of 400 nines"),
        pytest.param(f"t=-{NINES},v1={{sig}}", id="t of minus 400 nines"),
        pytest.param("t={now},,v1={sig}", id="empty part"),
        pytest.param("t={now},v1={sig},", id="empty last part"),
        pytest.param("t={now},v1={sig},junk", id="part without ="),
        pytest.param("t={now},v1={sig},v1={sig}", id="v1 twice"),
        pytest.param("t=1,t={now},v1={sig}", id="t twice"),
        pytest.param("t={now}", id="no v1"),
        pytest.param("v1={sig}", id="no t"),
        pytest.param("t= {now},v1={sig}", id="t with a space"),
        pytest.param("t=+{now},v1={sig}", id="t with a sign"),
        pytest.param("t={now_arabic},v1={sig}", id="t in other digits"),
        pytest.param("t={now},v1={sig}" + "0" * 10_000, id="huge v1"),
        pytest.param("t={now},v1={SIG}", id="upper-case v1"),
    ],
)
def test_a_malformed_signature_header_is_a_400(demo: Demo, settings: Any, header: str) -> None:
    settings.HISHO_OUTREACH_WEBHOOK_SECRET = "whsec-test"
    alice = demo.people["alice"]
    bounce = json.dumps(
        {"type": "bounce", "bounce_type": "hard", "recipient": alice.email}
    ).encode()
    now = int(time.time())
    sig = signature_for("whsec-test", now, bounce)
    arabic = str(now).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    value = header.format(now=now, now_arabic=arabic, sig=sig, SIG=sig.upper())
    response = Client().post(
        "/webhooks/outreach/survey_service",
        bounce,
        content_type="application/json",
        headers={"Hisho-Signature": value},
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not Suppression.objects.exists()


def test_the_survey_page_refuses_numbers_in_other_digits_without_a_500(
    api_as: Any, demo: Demo, smtp: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The page's form, not the API: a scale or choice answered with "²", "①", "٤" or
    "--1" is refused with the page again (422), not a server error, and nothing is kept."""
    from hisho.signing.tokens import make_token

    campaign_id, _people = invited(api_as, demo, django_capture_on_commit_callbacks, run_worker, 0)
    delivery = Delivery.objects.get(campaign_id=campaign_id, person=demo.people["alice"])
    page = f"/outreach/surveys/{make_token('survey', delivery.pk)}/"
    client = Client()
    client.force_login(demo.people["alice"])
    assert client.get(page).status_code == 200
    for odd in ("²", "①", "٤", "--1", "1_0", "9" * 5000, "-" + "9" * 5000):
        answered = client.post(page, {"q0": odd, "q1": "3"})
        assert answered.status_code == 422, (odd, answered.status_code)
        answered = client.post(page, {"q0": "0", "q1": odd})
        assert answered.status_code == 422, (odd, answered.status_code)
    assert not SurveyAnswer.objects.exists()
    assert client.post(page, {"q0": "0", "q1": "3"}).status_code == 200
    assert SurveyAnswer.objects.count() == 2


def survey_with(questions: list[dict[str, Any]]) -> Any:
    """A survey campaign with these questions, for reading its results."""
    from hisho.outreach.models import Campaign

    return Campaign.objects.create(
        kind="survey",
        subject_en="s",
        subject_ja="s",
        body_en="b",
        body_ja="b",
        questions=questions,
    )


@pytest.mark.django_db
def test_no_suppressed_count_can_be_worked_out_from_the_figures_shown(demo: Demo) -> None:
    from hisho.outreach.results import MIN_GROUP, results

    campaign = survey_with(SURVEY["questions"][:2])

    def answer(question: int, **value: int) -> None:
        SurveyAnswer.objects.create(campaign=campaign, question=question, **value)

    for choice in [0] * 7 + [1]:
        answer(0, choice=choice)
    for value in [4] * 5 + [2]:
        answer(1, value=value)
    choice, scale = results(campaign)
    # 8 answers, "Dining: 7" would say one chose Travel: both are hidden, and what is left
    # to work out is the sum of the hidden cells, never one of them alone.
    assert [c["count"] for c in choice["cells"]] == [None, None]
    for _ in range(MIN_GROUP):  # Travel: 1 → 6; then nobody is a small group any more
        answer(0, choice=1)
    assert [c["count"] for c in results(campaign)[0]["cells"]] == [7, 6]
    assert scale["mean"] is None  # 6 × mean − 5 × 4 would be the sixth answer
    # With no small group, the mean is shown.
    for _ in range(MIN_GROUP - 1):
        answer(1, value=2)
    assert results(campaign)[1]["mean"] == round((5 * 4 + 5 * 2) / 10, 2)


def test_the_audit_log_does_not_say_who_answered_a_survey(
    api_as: Any, demo: Demo, smtp: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Admins read both the results and the audit log: an entry naming who answered, read
    # between two reads of the results, tied that person to the answers that changed.
    from hisho.audit.models import AuditEvent

    invited(api_as, demo, django_capture_on_commit_callbacks, run_worker, 0)
    [invitation] = api_as("alice").get("/me/survey-invitations").json()
    answered = api_as("alice").post(
        f"/me/survey-invitations/{invitation['id']}/answers",
        {"answers": [{"question": 1, "value": 2}]},
    )
    assert answered.status_code == 200
    [entry] = AuditEvent.objects.filter(event="outreach.survey_answered")
    assert entry.actor_id is None and not entry.actor_ref
    assert entry.extra == {"answers": 1}  # a count, nothing about the person


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("chosen", "worked_out"),
    [
        # 13 answers, "Dining: 5" and two hidden: two small groups of at most 4 making 8.
        ((5, 4, 4), "Travel and Other: 4 each"),
        # 14 answers, "Travel: 5": the hidden sum 9 is more than two small groups make, so
        # one is the complement — at least 5, at most the 5 shown, and the first of a tie.
        ((5, 5, 4), "Dining 5, Other 4"),
    ],
)
def test_no_hidden_count_follows_from_the_total_and_the_cells_shown(
    demo: Demo, chosen: tuple[int, ...], worked_out: str
) -> None:
    from hisho.outreach.results import results

    question = {
        **SURVEY["questions"][0],
        "options": [*SURVEY["questions"][0]["options"], {"en": "Other", "ja": "その他"}],
    }
    campaign = survey_with([question])
    for choice, times in enumerate(chosen):
        for _ in range(times):
            SurveyAnswer.objects.create(campaign=campaign, question=0, choice=choice)
    [entry] = results(campaign)
    assert entry["answers"] == sum(chosen)
    # Some option is a small group: no option's count is shown, so nothing is worked out.
    assert [c["count"] for c in entry["cells"]] == [None, None, None], worked_out
