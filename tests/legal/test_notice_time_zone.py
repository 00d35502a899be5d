"""The disclosure notice's date is the recipient's date, in their time zone (issue 17)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from hisho.accounts.models import User
from hisho.demo import Demo
from hisho.legal.actions import do_approve_case, do_defer_notice, do_export_case
from hisho.legal.models import DisclosureCase
from hisho.legal.notices import send_due_notices
from tests.legal.test_notices import REASON
from tests.principals import P

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("zone", "date"), [("", "2026-03-06"), ("America/Los_Angeles", "2026-03-05")]
)
def test_the_disclosure_date_is_in_the_recipients_zone(
    demo: Demo, open_case: Any, zone: str, date: str
) -> None:
    User.objects.filter(pk=demo.people["alice"].pk).update(time_zone=zone, language="en")
    case = open_case(["errands"])
    now = dt.datetime.now(dt.UTC)
    do_defer_notice(
        actor=demo.people["admin"], case=case, until=now + dt.timedelta(days=1), reason=REASON
    )
    do_approve_case(actor=demo.people["admin2"], case=case)
    do_export_case(principal=P(demo.people["admin"]), case=case)
    # Exported late on 5 March in California: already 6 March in Tokyo.
    exported = dt.datetime(2026, 3, 5, 22, 0, tzinfo=dt.UTC)
    DisclosureCase.objects.filter(pk=case.pk).update(exported_at=exported)
    assert send_due_notices(now=now + dt.timedelta(days=2)) == 1
    assert f"Disclosed on: {date}" in mail.outbox[0].body
