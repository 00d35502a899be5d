"""POLICY K5: personal data leaves Hisho only through a recipient policy.yaml declares,
for a declared purpose, with declared data — and each send is recorded and shown."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from hisho.demo import Demo
from hisho.privacy.actions import do_set_consent
from hisho.privacy.models import ConsentHow, Disclosure
from hisho.privacy.recipients import (
    ConsentMissing,
    UndeclaredDisclosure,
    UndeclaredRecipient,
    recipient,
)

HISHO = Path(__file__).resolve().parents[2] / "hisho"
THE_DECLARED_RECIPIENT_API = HISHO / "privacy" / "recipients.py"

# Ways out of the process. Only hisho/privacy/recipients.py may use them.
OUTBOUND_MODULES = {
    "smtplib",
    "socket",
    "http.client",
    "urllib.request",
    "requests",
    "httpx",
    "aiohttp",
    "urllib3",
    "pywebpush",
}
OUTBOUND_NAMES = {
    "django.core.mail": {
        "send_mail",
        "send_mass_mail",
        "mail_admins",
        "mail_managers",
        "EmailMessage",
        "EmailMultiAlternatives",
        "get_connection",
    }
}


def outbound_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in OUTBOUND_MODULES or alias.name == "django.core.mail":
                    found.append(f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in OUTBOUND_MODULES or node.module.split(".")[0] in OUTBOUND_MODULES:
                found.append(f"from {node.module} import …")
            for alias in node.names:
                if alias.name in OUTBOUND_NAMES.get(node.module, set()):
                    found.append(f"from {node.module} import {alias.name}")
    return found


# Clients that only *read* public, non-personal data from a Hisho site and send nothing
# about anyone: each with its reason.
READ_ONLY_CLIENTS = {
    # The audit witness fetches the public signed tree head and consistency proofs
    # (hashes and sizes) from the site it watches (issue 15, docs/audit.md).
    HISHO / "audit" / "management" / "commands" / "audit-witness.py",
}


def test_only_the_declared_recipient_api_opens_an_outbound_channel() -> None:
    offenders = {
        str(path.relative_to(HISHO.parent)): uses
        for path in sorted(HISHO.rglob("*.py"))
        if path != THE_DECLARED_RECIPIENT_API
        and path not in READ_ONLY_CLIENTS
        and (uses := outbound_uses(path))
    }
    assert offenders == {}, (
        "send personal data through hisho.privacy.recipients.recipient(KEY), with KEY "
        f"declared in policy.yaml: {offenders}"
    )


def test_the_scan_finds_a_direct_send(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from django.core.mail import send_mail\nimport smtplib\n")
    assert sorted(outbound_uses(sneaky)) == [
        "from django.core.mail import send_mail",
        "import smtplib",
    ]
    assert outbound_uses(THE_DECLARED_RECIPIENT_API)  # the one place that may


def test_an_undeclared_recipient_raises() -> None:
    with pytest.raises(UndeclaredRecipient):
        recipient("ad_network")


@pytest.mark.django_db
def test_undeclared_purpose_or_data_raises_and_sends_nothing(demo: Demo) -> None:
    alice = demo.people["alice"]
    mailer = recipient("email_delivery")
    with pytest.raises(UndeclaredDisclosure):
        mailer.send_mail(
            subject=alice,
            to=[alice.email],
            purpose="legal_obligations",
            data=["email"],
            reference="test",
            title="t",
            body="b",
        )
    with pytest.raises(UndeclaredDisclosure):
        mailer.send_mail(
            subject=alice,
            to=[alice.email],
            purpose="service_notices",
            data=["email", "phone"],
            reference="test",
            title="t",
            body="b",
        )
    with pytest.raises(UndeclaredDisclosure):
        recipient("business_partners").disclose(
            subject=alice,
            purpose="provide_service",
            data=["email"],
            reference="test",
            deliver=lambda: None,
        )
    assert mail.outbox == []
    assert not Disclosure.objects.filter(subject=alice, reference="test").exists()


@pytest.mark.django_db
def test_a_consent_purpose_needs_the_persons_consent(demo: Demo) -> None:
    alice = demo.people["alice"]

    def newsletter() -> None:
        recipient("survey_service").send_mail(
            subject=alice,
            to=[alice.email],
            purpose="surveys",
            data=["email"],
            reference="survey:1",
            title="News",
            body="Hello",
        )

    with pytest.raises(ConsentMissing):
        newsletter()
    do_set_consent(actor=alice, purpose="surveys", granted=True, how=ConsentHow.API)
    newsletter()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alice.email]
    do_set_consent(actor=alice, purpose="surveys", granted=False, how=ConsentHow.API)
    with pytest.raises(ConsentMissing):
        newsletter()
    # Withdrawing sent the processor a deletion request for the address, nothing else.
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == [settings.HISHO_PROCESSOR_DELETION_EMAIL]


@pytest.mark.django_db
def test_each_send_is_recorded_and_shown_to_that_person_only(demo: Demo, web_as: Any) -> None:
    alice = demo.people["alice"]
    recipient("email_delivery").send_mail(
        subject=alice,
        to=[alice.email],
        purpose="service_notices",
        data=["email"],
        reference="policy_version:1",
        title="t",
        body="b",
    )
    disclosure = Disclosure.objects.get(subject=alice, reference="policy_version:1")
    assert (disclosure.recipient, disclosure.purpose, disclosure.data) == (
        "email_delivery",
        "service_notices",
        ["email"],
    )
    page = web_as("alice").get("/me/data/").content.decode()
    assert "The e-mail delivery service the operator uses" in page
    assert "Service e-mails" in page
    # Someone who was never sent anything is told so (bob was e-mailed in the demo).
    from django.test import Client

    from hisho.accounts.actions import do_create_user

    carol = do_create_user(email="carol@example.com", password=None)
    carols = Client()
    carols.force_login(carol)
    carol_page = carols.get("/me/data/").content.decode()
    assert "Nobody outside Hisho has received any of your data." in carol_page
    assert "Service e-mails" not in carol_page


@pytest.mark.django_db
def test_a_failed_delivery_records_no_disclosure(demo: Demo) -> None:
    alice = demo.people["alice"]

    def broken() -> None:
        raise OSError("the mail server is down")

    with pytest.raises(OSError):
        recipient("authorities").disclose(
            subject=alice,
            purpose="legal_obligations",
            data=["email"],
            reference="case:x",
            deliver=broken,
        )
    assert not Disclosure.objects.filter(subject=alice, reference="case:x").exists()
