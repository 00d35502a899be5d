"""The privacy contact (POLICY K13): a page and an address from configuration; what is
sent goes through DLP first, then to the declared privacy-contact recipient only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from hisho.demo import Demo
from hisho.privacy.models import ContactRequest, Disclosure

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"


def test_page_shows_the_configured_address(client: Any, settings: Any) -> None:
    settings.HISHO_PRIVACY_CONTACT_EMAIL = "dpo@hisho.example"
    html = client.get("/privacy/contact/").content.decode()
    assert "dpo@hisho.example" in html
    assert 'name="reply_to"' in html  # visitors say where to answer


def test_a_visitors_message_is_scrubbed_and_delivered(client: Any, settings: Any) -> None:
    settings.HISHO_PRIVACY_CONTACT_EMAIL = "dpo@hisho.example"
    response = client.post(
        "/privacy/contact/",
        {"topic": "question", "reply_to": "visitor@example.net", "message": f"My card {CARD}?"},
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["dpo@hisho.example"] and message.reply_to == ["visitor@example.net"]
    assert CARD not in message.body and "1111" in message.body
    request = ContactRequest.objects.get()
    assert request.user is None and request.cards_masked == 1
    assert str(request.pk) in message.subject


def test_a_signed_in_person_is_answered_at_their_address(web_as: Any, demo: Demo) -> None:
    html = web_as("alice").get("/privacy/contact/").content.decode()
    assert 'name="reply_to"' not in html
    web_as("alice").post(
        "/privacy/contact/",
        {"topic": "my_data", "reply_to": "someone@else.example", "message": "Please explain."},
    )
    [message] = mail.outbox
    assert message.reply_to == ["alice@example.com"]
    disclosure = Disclosure.objects.get(subject=demo.people["alice"], recipient="privacy_team")
    assert disclosure.recipient == "privacy_team"
    assert disclosure.reference == f"contact:{ContactRequest.objects.get().pk}"


@pytest.mark.parametrize(
    "data",
    [
        {"topic": "question", "message": "Hello"},  # a visitor without an address
        {"topic": "question", "reply_to": "not-an-address", "message": "Hello"},
        {"topic": "gossip", "reply_to": "v@example.net", "message": "Hello"},
        {"topic": "question", "reply_to": "v@example.net", "message": ""},
        {"topic": "question", "reply_to": "v@example.net", "message": "x" * 5001},
        {"topic": "question", "reply_to": "v@example.net", "message": "null\x00byte"},
    ],
)
def test_bad_input_sends_nothing(client: Any, data: dict[str, str]) -> None:
    response = client.post("/privacy/contact/", data)
    assert response.status_code == 200  # the form again, with the error
    assert mail.outbox == [] and not ContactRequest.objects.exists()
