"""The List-Unsubscribe mailto works: a mail program's "Unsubscribe" button that sends an
e-mail instead of the one-click POST withdraws the consent too. Before, every copy named a
mailbox that nothing read: the person asked to stop, and the newsletters kept coming."""

from __future__ import annotations

import io
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.management import call_command

from hisho.demo import Demo
from hisho.privacy.consents import has_consent
from tests.outreach.conftest import Mailbox

pytestmark = pytest.mark.django_db


def mail_from_link(mailto: str, sender: str) -> EmailMessage:
    """The e-mail a mail program writes for a `mailto:` link (RFC 6068)."""
    parts = urlsplit(mailto)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = unquote(parts.path)
    message["Subject"] = parse_qs(parts.query)["subject"][0]
    message.set_content("Sent from my phone\n")
    return message


def pipe(raw: bytes) -> None:
    call_command("outreach-unsubscribe-mail", stdin=io.BytesIO(raw))


def test_an_unsubscribe_email_withdraws_the_consent(
    demo: Demo, smtp: Mailbox, newsletter_links: Any, settings: Any, caplog: Any
) -> None:
    alice = demo.people["alice"]
    _, mailto = newsletter_links(alice)
    request = mail_from_link(mailto, sender="someone.else@example.org")
    assert request["To"] == settings.HISHO_UNSUBSCRIBE_EMAIL
    token = request["Subject"].split()[-1]

    # A forged token, a message without one, a huge one: nothing changes, no bounce.
    forged = mail_from_link(mailto.replace(token[-6:], "AAAAAA"), sender=alice.email)
    pipe(forged.as_bytes())
    empty = EmailMessage()
    empty["Subject"] = "Re: your newsletter"
    empty.set_content("please stop\n")
    pipe(empty.as_bytes())
    pipe(b"Subject: unsubscribe " + token.encode() + b"\n\n" + b"x" * (300 * 1024))
    pipe(b"\xff\xfe not an e-mail at all \x00")
    assert has_consent(alice, "newsletters")

    smtp.clear()
    pipe(request.as_bytes())
    assert not has_consent(alice, "newsletters")
    # As for the one-click link: the processor is asked to delete the address.
    [deletion] = smtp.to(settings.HISHO_PROCESSOR_DELETION_EMAIL)
    assert deletion is not None
    # The log says what happened, never the token or an address.
    logged = caplog.text
    assert token not in logged and alice.email not in logged and "someone.else" not in logged


def test_a_mail_program_that_moves_the_request_into_the_text_is_understood(
    demo: Demo, newsletter_links: Any
) -> None:
    alice = demo.people["alice"]
    _, mailto = newsletter_links(alice)
    request = mail_from_link(mailto, sender=alice.email)
    moved = EmailMessage()
    moved["Subject"] = "(no subject)"
    moved.set_content(f"{request['Subject']}\n\n-- \nSent from my phone\n", charset="utf-8")
    pipe(moved.as_bytes())
    assert not has_consent(alice, "newsletters")
