"""The one way to e-mail a person about the service (hisho/notify/mail.py): written in
their language and time zone, sent to their address through the declared processor and
recorded on their "My data" — the same for every caller."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.utils import timezone, translation

from hisho.demo import Demo
from hisho.notify.mail import email_person
from hisho.privacy.models import Disclosure
from hisho.privacy.tasks import tell_assistant_errand_cancelled


@pytest.mark.django_db
def test_written_in_their_language_and_zone_sent_and_recorded(demo: Demo) -> None:
    kenji = demo.people["kenji"]
    kenji.language, kenji.time_zone = "ja", "America/New_York"
    kenji.save(update_fields=["language", "time_zone"])
    seen: dict[str, str] = {}

    def compose() -> tuple[str, str]:
        seen["language"] = translation.get_language() or ""
        seen["zone"] = timezone.get_current_timezone_name()
        return translation.gettext("An errand you were handling was cancelled"), "body"

    mail.outbox.clear()
    email_person(kenji, reference="test:1", compose=compose)
    assert seen == {"language": "ja", "zone": "America/New_York"}
    [sent] = mail.outbox
    assert sent.to == [kenji.email]
    assert sent.subject == "担当していた用件がキャンセルされました"
    [recorded] = Disclosure.objects.filter(subject=kenji, reference="test:1")
    assert (recorded.recipient, recorded.purpose, recorded.data) == (
        "email_delivery",
        "service_notices",
        ["email"],
    )


@pytest.mark.django_db
def test_an_assistant_hears_of_a_cancelled_errand_in_their_language(demo: Demo) -> None:
    yuki = demo.people["yuki"]
    yuki.language = "ja"
    yuki.save(update_fields=["language"])
    errand = uuid.uuid4()
    mail.outbox.clear()
    assert tell_assistant_errand_cancelled.call(yuki.pk, str(errand)) is True
    [sent] = mail.outbox
    assert sent.subject == "担当していた用件がキャンセルされました"
    assert str(errand) in sent.body and sent.to == [yuki.email]
    assert Disclosure.objects.filter(subject=yuki, reference=f"errand:{errand}").exists()


@pytest.mark.django_db
def test_nobody_inactive_is_written_to(demo: Demo) -> None:
    yuki = demo.people["yuki"]
    yuki.is_active = False
    yuki.save(update_fields=["is_active"])
    mail.outbox.clear()
    assert tell_assistant_errand_cancelled.call(yuki.pk, str(uuid.uuid4())) is False
    assert mail.outbox == []
