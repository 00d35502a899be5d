"""The mail relay down (or not answering): sign-in mails and the privacy contact answer a
503 with Retry-After that says what was kept, on pages and on the sign-in API, and once
the relay is back the same request goes through (hisho/outages.py, docs/security.md).

A real SMTP server on loopback (aiosmtpd) is started and stopped under the tests; "down"
is a port nothing listens on, "silent" a socket that accepts and never answers."""

from __future__ import annotations

import json
import logging
import socket
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from hisho.accounts.models import User
from hisho.demo import DEMO_PASSWORD, Demo, email_of
from hisho.privacy.models import ContactRequest, Disclosure
from tests.outreach.conftest import Mailbox, free_port

pytestmark = pytest.mark.django_db

CHOSEN = "a-long-chosen-passphrase-77"
CARD = "4111 1111 1111 1111"


@dataclass
class Relay:
    settings: Any
    mailbox: Mailbox = field(default_factory=Mailbox)
    controller: Controller | None = None
    silent: socket.socket | None = None

    def down(self) -> None:
        self.stop()
        self.settings.EMAIL_PORT = free_port()

    def silence(self) -> None:
        """Accepts the connection (the kernel does) and never says a word."""
        self.stop()
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(8)
        self.settings.EMAIL_PORT = self.silent.getsockname()[1]

    def up(self) -> None:
        self.stop()
        port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=port)
        self.controller.start()
        self.settings.EMAIL_PORT = port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        if self.silent is not None:
            self.silent.close()
            self.silent = None


@pytest.fixture
def relay(settings: Any) -> Iterator[Relay]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the server's own log
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 1
    relay = Relay(settings)
    relay.down()
    try:
        yield relay
    finally:
        relay.stop()


def page_detail(response: Any) -> str:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "120"
    html = response.content.decode()
    assert 'data-testid="error-503"' in html and "site.css" in html
    start = html.index('<p role="alert">') + len('<p role="alert">')
    return html[start : html.index("</p>", start)]


def problem_detail(response: Any) -> str:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "120"
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    detail: str = body["detail"]
    return detail


def app_post(path: str, body: dict[str, str]) -> Any:
    return Client(raise_request_exception=False).post(
        f"/_allauth/app/v1{path}", json.dumps(body), content_type="application/json"
    )


def test_a_password_reset_with_the_relay_down_says_to_retry_and_then_works(
    relay: Relay, demo: Demo
) -> None:
    known = Client().post("/accounts/password/reset/", {"email": email_of("alice")})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    # The same answer for an account and for none: the outage tells nobody who has one.
    assert page_detail(known) == page_detail(unknown)
    assert "Nothing was changed" in page_detail(known)
    japanese = Client(headers={"Accept-Language": "ja"}).post(
        "/accounts/password/reset/", {"email": email_of("alice")}
    )
    assert "何も変更されていません" in page_detail(japanese)
    relay.up()
    again = Client().post("/accounts/password/reset/", {"email": email_of("alice")})
    assert again.status_code == 302
    [reset] = relay.mailbox.to(email_of("alice"))
    assert "/accounts/password/reset/key/" in reset.get_body().get_content()  # type: ignore[union-attr]


def test_the_app_gets_problem_json_for_a_reset_and_a_sign_up(
    relay: Relay, demo: Demo, settings: Any
) -> None:
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # production's: no enumeration
    reset = app_post("/auth/password/request", {"email": email_of("alice")})
    assert "Nothing was changed" in problem_detail(reset)
    new = app_post("/auth/signup", {"email": "newcomer@example.com", "password": CHOSEN})
    taken = app_post("/auth/signup", {"email": email_of("bob"), "password": CHOSEN})
    assert problem_detail(new) == problem_detail(taken)
    assert "Your address is saved" in problem_detail(new)


def test_a_sign_up_with_the_relay_down_keeps_the_account_and_confirms_it_later(
    relay: Relay, demo: Demo, settings: Any
) -> None:
    """Production's flow (verification mandatory): the account is saved before its
    confirmation mail goes, so the page says so; signing in later sends the mail."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    form = {"email": "newcomer@example.com", "password1": CHOSEN, "password2": CHOSEN}
    new = Client().post("/accounts/signup/", form)
    taken = Client().post("/accounts/signup/", {**form, "email": email_of("bob")})
    assert page_detail(new) == page_detail(taken)
    assert "Your address is saved" in page_detail(new)
    assert User.objects.filter(email="newcomer@example.com").exists()
    relay.up()
    signed_in = Client().post(
        "/accounts/login/", {"login": "newcomer@example.com", "password": CHOSEN}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/accounts/confirm-email/"
    [confirm] = relay.mailbox.to("newcomer@example.com")
    assert "/accounts/confirm-email/" in confirm.get_body().get_content()  # type: ignore[union-attr]


def test_a_relay_that_never_answers_is_a_503_after_the_timeout(relay: Relay, demo: Demo) -> None:
    """Django waits for ever by default; Hisho's settings give up after HISHO_EMAIL_TIMEOUT
    (10 s unless set; 1 s here)."""
    from hisho import settings as hisho_settings

    assert hisho_settings.EMAIL_TIMEOUT == 10
    relay.silence()
    response = Client().post("/accounts/password/reset/", {"email": email_of("alice")})
    assert "Nothing was changed" in page_detail(response)


def test_a_password_change_stands_when_its_notice_cannot_go(
    relay: Relay, demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    """The notice reports a change already made: the request does not fail for it, and
    the log names the notice and the user's id, not their address."""
    browser = Client()
    browser.force_login(demo.people["alice"])
    with caplog.at_level(logging.WARNING):
        changed = browser.post(
            "/accounts/password/change/",
            {"oldpassword": DEMO_PASSWORD, "password1": CHOSEN, "password2": CHOSEN},
        )
    assert changed.status_code == 302
    demo.people["alice"].refresh_from_db()
    assert demo.people["alice"].check_password(CHOSEN)
    [record] = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert "password_changed" in record.getMessage()
    assert str(demo.people["alice"].pk) in record.getMessage()
    assert all("@" not in r.getMessage() for r in caplog.records)


def test_a_privacy_message_is_kept_in_the_form_when_the_relay_is_down(
    relay: Relay, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"topic": "question", "reply_to": "visitor@example.net", "message": f"Card {CARD}?"}
    with caplog.at_level(logging.WARNING):
        response = Client().post("/privacy/contact/", data)
    assert response.status_code == 503 and response["Retry-After"] == "120"
    html = response.content.decode()
    assert "We could not send your message just now" in html
    assert "visitor@example.net" in html and "Card " in html  # the text is still there
    assert CARD not in html  # masked, as every form shown again (POLICY K9)
    assert not ContactRequest.objects.exists()
    assert not Disclosure.objects.filter(recipient="privacy_team").exists()
    assert all("visitor@" not in r.getMessage() for r in caplog.records)
    relay.up()
    assert Client().post("/privacy/contact/", data).status_code == 302
    assert ContactRequest.objects.count() == 1
    [message] = relay.mailbox.to(settings.HISHO_PRIVACY_CONTACT_EMAIL)
    assert CARD not in message.get_body().get_content()  # type: ignore[union-attr]


def test_refused_recipients_are_not_an_outage() -> None:
    """The outreach batch marks a copy whose every recipient the relay refused as failed
    and goes on (hisho/outreach/tasks.py): `relay_errors` leaves that error as it is."""
    from hisho.errors import MailUnavailable
    from hisho.privacy.recipients import Refused, relay_errors

    with pytest.raises(Refused), relay_errors():
        raise Refused([550])
    with pytest.raises(MailUnavailable), relay_errors():
        raise ConnectionRefusedError(111, "Connection refused")


class RefusingMailbox(Mailbox):
    """A relay that checks recipients and, like Postfix, quotes the address it refuses."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def test_a_refused_recipient_names_no_address(relay: Relay, demo: Demo) -> None:
    """A job whose e-mail the relay refuses fails, and the worker logs that failure with
    its traceback (which the job table keeps too): neither may hold the address."""
    from hisho.notify.mail import send_service_email
    from hisho.privacy.recipients import Refused

    relay.mailbox = RefusingMailbox()
    relay.up()
    bob = demo.people["bob"]

    with pytest.raises(Refused) as refused:
        send_service_email(bob, reference="test", title="Hello", body="A notice.")

    logged = "".join(traceback.format_exception(refused.value))
    assert bob.email not in logged
    assert refused.value.codes == (550,)
