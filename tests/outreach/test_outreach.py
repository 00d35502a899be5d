"""Newsletters and surveys through declared processors, only with permission (issue 21,
POLICY O5/K5), proven against a real SMTP server on loopback: every delivered message is
parsed — who got it, its headers, that it carries nothing but the declared data."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage as Parsed
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from django.test import Client

from hisho.accounts.actions import do_create_user, do_update_profile
from hisho.accounts.models import User
from hisho.demo import Demo
from hisho.outreach.models import Campaign
from hisho.privacy.actions import do_set_consent
from hisho.privacy.actions.confirmation import (
    TOKEN_KIND,
    confirmation_token,
    do_confirm_consent,
)
from hisho.privacy.actions.erasure import do_erase_account
from hisho.privacy.consents import has_consent
from hisho.privacy.models import ConsentConfirmation, ConsentHow, ConsentRecord, Disclosure
from hisho.privacy.recipients import DeclaredRecipient
from hisho.signing.tokens import make_token
from tests.outreach.conftest import Mailbox, text_of

NEWSLETTER = {
    "kind": "newsletter",
    "subject": {"en": "Hisho news", "ja": "Hisho のお知らせ"},
    "body": {"en": "Spring is here.", "ja": "春が来ました。"},
}


def confirm_newsletter(person: User) -> None:
    """Opt in through the real double opt-in: ask, then follow the e-mailed link."""
    do_set_consent(actor=person, purpose="newsletters", granted=True, how=ConsentHow.API)
    confirmation = ConsentConfirmation.objects.get(
        user=person, purpose="newsletters", void=False, confirmed_at__isnull=True
    )
    do_confirm_consent(token=confirmation_token(confirmation))


def send(api_as: Any, payload: dict[str, Any], capture: Any) -> dict[str, Any]:
    admin = api_as("admin")
    created = admin.post("/outreach/campaigns", payload)
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "draft"
    with capture(execute=True):
        started = admin.post(f"/outreach/campaigns/{created.json()['id']}/send")
    assert started.status_code == 202, started.content
    body: dict[str, Any] = started.json()
    assert body["status"] == "sending"
    return body


def unsubscribe_links(message: Parsed) -> tuple[str, str]:
    header = str(message["List-Unsubscribe"])
    https, mailto = re.findall(r"<([^>]+)>", header)
    return https, mailto


# --- double opt-in ------------------------------------------------------------------------


def test_newsletter_opt_in_counts_only_once_the_emailed_link_is_followed(
    api_as: Any, demo: Demo, smtp: Mailbox, run_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice = demo.people["alice"]
    with django_capture_on_commit_callbacks(execute=True):
        asked = api_as("alice").put("/me/consents/newsletter", {"granted": True})
    assert asked.status_code == 200
    assert asked.json()["pending_confirmation"] is True and asked.json()["granted"] is False
    assert not has_consent(alice, "newsletters")
    run_worker()
    [message] = smtp.to(alice.email)
    match = re.search(r"https?://\S+/privacy/confirm/(\S+)/", text_of(message))
    assert match is not None
    path = urlsplit(match.group(0)).path
    assert alice.email not in unquote(path)  # an opaque token: no address, no person id

    visitor = Client()  # the link works without signing in
    assert visitor.get(path).status_code == 200
    assert not has_consent(alice, "newsletters")  # a GET (a mail scanner) changes nothing
    assert visitor.post(path).status_code == 200
    assert has_consent(alice, "newsletters")
    listed = {c["purpose"]: c for c in api_as("alice").get("/me/consents").json()}
    assert listed["newsletters"]["granted"] is True
    assert listed["newsletters"]["pending_confirmation"] is False
    assert listed["newsletters"]["how"] == "email_link"
    assert visitor.post(path).status_code == 404  # once only


def test_forged_expired_or_withdrawn_confirmation_links_change_nothing(demo: Demo) -> None:
    alice = demo.people["alice"]
    do_set_consent(actor=alice, purpose="newsletters", granted=True, how=ConsentHow.API)
    confirmation = ConsentConfirmation.objects.get(user=alice, purpose="newsletters")
    good = confirmation_token(confirmation)
    forged = good[:5] + ("A" if good[5] != "A" else "B") + good[6:]
    expired = make_token(
        TOKEN_KIND,
        confirmation.pk,
        expires_at=confirmation.requested_at.replace(year=confirmation.requested_at.year - 1),
    )
    elsewhere = make_token("unsubscribe", confirmation.pk)  # signed, but for another kind
    visitor = Client()
    for token, status in [(forged, 404), ("nonsense", 404), (elsewhere, 404), (expired, 409)]:
        assert visitor.post(f"/privacy/confirm/{token}/").status_code == status
    assert not ConsentRecord.objects.filter(user=alice, purpose="newsletters").exists()
    # Saying no again voids the pending link.
    do_set_consent(actor=alice, purpose="newsletters", granted=False, how=ConsentHow.API)
    assert visitor.post(f"/privacy/confirm/{good}/").status_code == 404
    assert not has_consent(alice, "newsletters")


# --- campaigns ------------------------------------------------------------------------------


def test_a_newsletter_reaches_exactly_the_confirmed_consenting_people_in_their_language(
    api_as: Any,
    demo: Demo,
    smtp: Mailbox,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    p = demo.people
    do_update_profile(actor=p["alice"], changes={"language": "ja"})
    confirm_newsletter(p["alice"])  # confirmed, Japanese
    confirm_newsletter(p["admin2"])  # confirmed, English
    do_set_consent(actor=p["bob"], purpose="newsletters", granted=True, how=ConsentHow.API)
    confirm_newsletter(p["kenji"])  # confirmed, then withdrew
    do_set_consent(actor=p["kenji"], purpose="newsletters", granted=False, how=ConsentHow.API)
    do_set_consent(actor=p["yuki"], purpose="surveys", granted=True, how=ConsentHow.API)
    carol = do_create_user(email="carol@example.com", password=None, verified=True)
    confirm_newsletter(carol)
    do_erase_account(actor=carol)  # erased: gone
    smtp.clear()

    started = send(api_as, NEWSLETTER, django_capture_on_commit_callbacks)
    assert started["recipients"] == 2
    run_worker()

    assert sorted(a for d in smtp.campaign for a in d.envelope_to) == sorted(
        [p["alice"].email, p["admin2"].email]
    )
    for person, language, subject, text in [
        (p["alice"], "ja", "Hisho のお知らせ", "春が来ました。"),
        (p["admin2"], "en", "Hisho news", "Spring is here."),
    ]:
        [message] = smtp.to(person.email)
        assert message["Subject"] == subject and text in text_of(message)
        assert message["To"] == person.email  # the address alone: no display name
        assert message["Content-Language"] == language
        https, mailto = unsubscribe_links(message)
        assert https.startswith("http") and "/outreach/unsubscribe/" in https
        assert mailto.startswith("mailto:")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        raw = message.as_string()
        # Nothing about the person but the declared address and language.
        for private in (person.name, str(person.pk), person.get_full_name()):
            assert not private or not re.search(
                rf"\b{re.escape(private)}\b", raw.split("\n\n", 1)[1]
            )
        assert person.email not in https and person.email not in unquote(mailto)
        disclosure = Disclosure.objects.get(subject=person, recipient="newsletter_service")
        assert disclosure.purpose == "newsletters" and disclosure.data == ["email", "language"]

    campaign = api_as("admin").get(f"/outreach/campaigns/{started['id']}").json()
    assert campaign["status"] == "sent" and campaign["counts"]["sent"] == 2
    # The hand-over is on alice's "My data", and on nobody else's.
    page = api_as("alice").get("/me/export")
    assert page.status_code == 200


def test_one_click_unsubscribe_by_post_without_signing_in(
    api_as: Any,
    demo: Demo,
    smtp: Mailbox,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
    newsletter_links: Any,
    settings: Any,
) -> None:
    alice = demo.people["alice"]
    https, _ = newsletter_links(alice)
    path = urlsplit(https).path
    visitor = Client()
    assert visitor.get(path).status_code == 200
    assert has_consent(alice, "newsletters")  # the page alone changes nothing
    # A forged link: 404 and nothing changes.
    assert (
        visitor.post(
            path[:-3] + "AAA",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 404
    )
    assert has_consent(alice, "newsletters")
    smtp.clear()
    done = visitor.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200
    assert not has_consent(alice, "newsletters")
    assert (
        ConsentRecord.objects.filter(user=alice, purpose="newsletters").first().how == "unsubscribe"
    )
    # The processor was asked to delete the address, and the request is on My data.
    [deletion] = smtp.to(settings.HISHO_PROCESSOR_DELETION_EMAIL)
    assert alice.email in text_of(deletion)
    assert Disclosure.objects.filter(
        subject=alice, recipient="newsletter_service", reference__startswith="deletion:"
    ).exists()
    # The next newsletter does not reach her.
    smtp.clear()
    again = send(api_as, NEWSLETTER, django_capture_on_commit_callbacks)
    run_worker()
    assert again["recipients"] == 0 and smtp.campaign == []


class Crash(BaseException):
    """The worker process dies (not an error anything would catch)."""


def test_a_crash_mid_send_resumes_without_sending_anyone_twice(
    api_as: Any,
    demo: Demo,
    smtp: Mailbox,
    run_worker: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.HISHO_OUTREACH_BATCH = 4
    people = [
        do_create_user(email=f"reader{i}@example.com", password=None, verified=True)
        for i in range(10)
    ]
    for person in people:
        confirm_newsletter(person)
    smtp.clear()
    original = DeclaredRecipient.send_mail
    handed: list[int] = []

    def dies_after_the_sixth_hand_over(self: DeclaredRecipient, **kwargs: Any) -> None:
        original(self, **kwargs)
        handed.append(1)
        if len(handed) == 6:
            raise Crash  # handed over, not yet recorded

    monkeypatch.setattr(DeclaredRecipient, "send_mail", dies_after_the_sixth_hand_over)
    started = send(api_as, NEWSLETTER, django_capture_on_commit_callbacks)
    run_worker()  # the job dies mid-batch; its chain of batches stops there
    assert len(smtp.campaign) == 6
    assert Campaign.objects.get(pk=started["id"]).status == "sending"
    monkeypatch.setattr(DeclaredRecipient, "send_mail", original)

    # The admin sends again: the send resumes where it stopped.
    with django_capture_on_commit_callbacks(execute=True):
        resumed = api_as("admin").post(f"/outreach/campaigns/{started['id']}/send")
    assert resumed.status_code == 202
    run_worker()
    received = [a for d in smtp.campaign for a in d.envelope_to]
    assert sorted(received) == sorted(p.email for p in people)  # each exactly once
    counts = api_as("admin").get(f"/outreach/campaigns/{started['id']}").json()["counts"]
    assert counts["sent"] == 9 and counts["unconfirmed"] == 1 and counts["pending"] == 0
    # The one in doubt is shown to its person as disclosed all the same.
    assert Disclosure.objects.filter(recipient="newsletter_service").count() == 10


# --- authorization and bad input -------------------------------------------------------------

CAMPAIGN_CASES = [
    ("post", "/outreach/campaigns", NEWSLETTER, {"anonymous": 401, "admin": 201, "*": 403}),
    ("get", "/outreach/campaigns", None, {"anonymous": 401, "admin": 200, "*": 403}),
    ("get", "/outreach/campaigns/{id}", None, {"anonymous": 401, "admin": 200, "*": 403}),
    ("get", "/outreach/campaigns/{id}/results", None, {"anonymous": 401, "admin": 200, "*": 403}),
    ("post", "/outreach/campaigns/{id}/send", None, {"anonymous": 401, "admin": 202, "*": 403}),
    ("get", "/me/survey-invitations", None, {"anonymous": 401, "*": 200}),
]


@pytest.mark.parametrize(
    "handle", ["anonymous", "alice", "bob", "kenji", "yuki", "admin", "partner"]
)
def test_campaign_authorization_matrix(api_as: Any, demo: Demo, handle: str) -> None:
    from hisho.outreach.actions import do_create_campaign
    from tests.principals import P

    campaign = do_create_campaign(
        actor=P(demo.people["admin"]),
        kind="newsletter",
        subject=NEWSLETTER["subject"],
        body=NEWSLETTER["body"],
        questions=None,
    )
    for method, path, body, expected in CAMPAIGN_CASES:
        want = expected.get(handle, expected["*"])
        url = path.format(id=campaign.pk)
        client = api_as(handle)
        response = getattr(client, method)(url, body) if method == "post" else client.get(url)
        assert response.status_code == want, (handle, method, path, response.content)
    missing = api_as(handle).get(f"/outreach/campaigns/{uuid.uuid4()}")
    assert missing.status_code == {"anonymous": 401, "admin": 404}.get(handle, 403)


def test_bad_campaigns_are_refused(api_as: Any, demo: Demo) -> None:
    admin = api_as("admin")
    for payload in [
        {**NEWSLETTER, "kind": "flyer"},
        {**NEWSLETTER, "subject": {"en": "only english"}},
        {**NEWSLETTER, "questions": [{"kind": "text", "text": {"en": "Q", "ja": "Q"}}]},
        {**NEWSLETTER, "kind": "survey"},  # a survey needs questions
        {**NEWSLETTER, "body": {"en": "x" * 20_001, "ja": "y"}},
        {**NEWSLETTER, "body": {"en": "nul\x00", "ja": "y"}},
    ]:
        assert admin.post("/outreach/campaigns", payload).status_code == 422, payload
    assert not Campaign.objects.exists()


def test_an_email_service_provider_sends_the_newsletter_when_configured(
    api_as: Any,
    demo: Demo,
    smtp: Mailbox,
    run_worker: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """With HISHO_OUTREACH_EMAIL_BACKEND naming a django-anymail backend, the newsletter
    processor's copies go through the provider (here anymail's own test backend), with the
    one-click unsubscribe headers; Hisho's other mail keeps using the relay."""
    from django.core import mail

    settings.HISHO_OUTREACH_EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {}
    confirm_newsletter(demo.people["admin2"])
    smtp.clear()
    mail.outbox = []
    started = send(api_as, NEWSLETTER, django_capture_on_commit_callbacks)
    assert started["recipients"] == 1
    run_worker()
    [sent] = [m for m in mail.outbox if hasattr(m, "anymail_test_params")]
    assert sent.to == [demo.people["admin2"].email]
    assert hasattr(sent, "anymail_test_params")  # handed to the provider's backend
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Nothing of the newsletter through the relay (what else the worker sent is service mail).
    assert smtp.campaign == []
    # Service mail (confirmation links, notices) still goes through the relay.
    from anymail.backends.test import EmailBackend as ProviderBackend
    from django.core.mail.backends.smtp import EmailBackend as RelayBackend

    from hisho.privacy.recipients import recipient

    assert isinstance(recipient("email_delivery").connection(), RelayBackend)
    assert isinstance(recipient("survey_service").connection(), ProviderBackend)
