"""Outreach fixtures: a real SMTP server on loopback (aiosmtpd) that keeps every message
it accepts, parsed, and Django's mail pointed at it."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage as Parsed
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.privacy.conftest import run_worker  # noqa: F401 - the in-process task worker


@dataclass
class Delivered:
    envelope_to: list[str]
    message: Parsed


@dataclass
class Mailbox:
    """What the loopback SMTP server accepted, in order."""

    delivered: list[Delivered] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, Parsed)
        self.delivered.append(Delivered(list(envelope.rcpt_tos), parsed))
        return "250 OK"

    @property
    def campaign(self) -> list[Delivered]:
        """What campaigns sent: every newsletter and survey copy carries List-Unsubscribe.
        (The worker also runs service notices queued earlier, e.g. the demo's.)"""
        return [d for d in self.delivered if d.message["List-Unsubscribe"]]

    def to(self, address: str) -> list[Parsed]:
        return [d.message for d in self.delivered if address in d.envelope_to]

    def clear(self) -> None:
        self.delivered.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    # The test server's own log names every envelope address: keep it quiet.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield mailbox
    finally:
        controller.stop()


def text_of(message: Parsed) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


@pytest.fixture
def newsletter_links(
    api_as: Any,
    smtp: Mailbox,
    run_worker: Any,  # noqa: F811 - the fixture imported above
    django_capture_on_commit_callbacks: Any,
) -> Any:
    """A function: confirm a person's newsletter consent, send them a newsletter and
    return the (https, mailto) of its List-Unsubscribe. The mailbox is left empty."""
    from tests.outreach.test_outreach import (
        NEWSLETTER,
        confirm_newsletter,
        send,
        unsubscribe_links,
    )

    def sent_to(person: Any) -> tuple[str, str]:
        confirm_newsletter(person)
        smtp.clear()
        send(api_as, NEWSLETTER, django_capture_on_commit_callbacks)
        run_worker()
        [message] = smtp.to(person.email)
        smtp.clear()
        return unsubscribe_links(message)

    return sent_to
