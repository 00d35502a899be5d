"""Response-time clocks (issue 18 part 6): Japanese business hours, national holidays,
paused while waiting for the customer, computed from metadata only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hisho.demo import Demo
from hisho.desk import clocks
from hisho.desk.actions import do_assign_errand, do_create_errand, do_post_message
from hisho.desk.clocks import clocks_for, compute, summary
from hisho.desk.hours import parse_business_hours
from hisho.desk.models import Errand, Message

TOKYO = ZoneInfo("Asia/Tokyo")
HOURS = parse_business_hours("Mon-Fri 09:00-18:00", "Asia/Tokyo", "JP")
CUSTOMER, ASSISTANT = 1, 2


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in November 2026, Tokyo: the 20th is a Friday, the 23rd (Monday) is Labour
    Thanksgiving Day, a national holiday."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


def test_a_weekend_and_a_national_holiday_do_not_count() -> None:
    # Friday 17:00 → Tuesday 10:00: one hour on Friday, one on Tuesday; Saturday, Sunday
    # and the holiday Monday count nothing.
    assert HOURS.seconds_between(at(20, 17), at(24, 10)) == 2 * 3600
    # The same span a week earlier has an ordinary Monday: nine hours more.
    assert HOURS.seconds_between(at(13, 17), at(17, 10)) == 11 * 3600
    assert HOURS.is_holiday(dt.date(2026, 11, 23))


def test_hours_outside_the_working_day_do_not_count() -> None:
    assert HOURS.seconds_between(at(24, 7), at(24, 9, 30)) == 30 * 60
    assert HOURS.seconds_between(at(24, 18, 30), at(25, 8)) == 0
    assert HOURS.seconds_between(at(25, 8), at(24, 9)) == 0  # backwards: nothing


def test_other_hours_can_be_configured() -> None:
    saturdays = parse_business_hours("Sat 10:00-12:00", "Europe/London", "")
    start = dt.datetime(2026, 11, 21, 0, 0, tzinfo=ZoneInfo("Europe/London"))
    assert saturdays.seconds_between(start, start + dt.timedelta(days=7)) == 2 * 3600
    for bad in (
        ("Mon-Fri 18:00-09:00", "Asia/Tokyo", "JP"),
        ("Weekdays", "Asia/Tokyo", "JP"),
        ("Mon-Fri 09:00-18:00", "Mars/Olympus", "JP"),
        ("Mon-Fri 09:00-18:00", "Asia/Tokyo", "XX"),
    ):
        with pytest.raises(ValueError):
            parse_business_hours(*bad)


def timeline(*events: tuple[dt.datetime, int]) -> list[tuple[dt.datetime, int | None]]:
    return list(events)


def test_first_and_next_response_across_the_holiday_weekend() -> None:
    result = compute(
        created_at=at(20, 17),
        customer_id=CUSTOMER,
        status="in_progress",
        messages=timeline(
            (at(20, 17, 30), CUSTOMER),  # still the first wait
            (at(24, 10), ASSISTANT),  # first response: 2 business hours
            (at(24, 11), CUSTOMER),
            (at(24, 11, 5), CUSTOMER),  # the wait began at the first of the two
            (at(24, 12), ASSISTANT),  # next response: 1 hour
        ),
        now=at(24, 15),
        hours=HOURS,
    )
    assert result.first_response_seconds == 2 * 3600
    assert result.next_response_seconds == (3600,)
    assert result.state == clocks.WAITING_ON_CUSTOMER


def test_the_clock_is_paused_while_waiting_for_the_customer() -> None:
    common: dict[str, Any] = {"created_at": at(24, 9), "customer_id": CUSTOMER, "hours": HOURS}
    answered = [(at(24, 10), ASSISTANT)]
    # The customer takes two days to answer: none of it is anyone's response time.
    paused = compute(status="in_progress", messages=answered, now=at(26, 17), **common)
    assert paused.state == clocks.WAITING_ON_CUSTOMER and paused.waiting_seconds is None
    later = [*answered, (at(26, 16), CUSTOMER), (at(26, 17), ASSISTANT)]
    result = compute(status="in_progress", messages=later, now=at(26, 18), **common)
    assert result.next_response_seconds == (3600,)
    # The customer wrote and waits: the clock runs, in business time only.
    waiting = compute(
        status="in_progress", messages=[*answered, (at(24, 17), CUSTOMER)], now=at(25, 10), **common
    )
    assert waiting.state == clocks.WAITING_ON_ASSISTANT
    assert waiting.waiting_since == at(24, 17) and waiting.waiting_seconds == 2 * 3600
    # Done: no clock runs, whoever wrote last.
    done = compute(
        status="done", messages=[*answered, (at(24, 17), CUSTOMER)], now=at(25, 10), **common
    )
    assert done.state == clocks.CLOSED and done.waiting_seconds is None


def test_no_content_is_opened_to_compute_the_clocks(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    errand = do_create_errand(actor=alice, title="Book a table", details="Friday")
    errand = do_assign_errand(actor=demo.people["admin"], errand=errand, assistant_id=kenji.pk)
    do_post_message(actor=kenji, errand=errand, body="On it")
    do_post_message(actor=alice, errand=errand, body="Thanks")

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("content was opened")

    from hisho.vault import crypto, sealing

    monkeypatch.setattr(sealing, "unseal", refuse)
    monkeypatch.setattr(sealing, "unseal_many", refuse)
    monkeypatch.setattr(crypto, "open_value", refuse)
    errands = list(Errand.objects.all())
    found = clocks_for(errands)
    assert found[errand.pk].first_response_seconds is not None
    assert found[errand.pk].state == clocks.WAITING_ON_ASSISTANT
    assert summary().errands == len(errands)


def test_clocks_follow_the_real_message_times(demo: Demo) -> None:
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    errand = do_create_errand(actor=alice, title="Call the landlord")
    errand = do_assign_errand(actor=demo.people["admin"], errand=errand, assistant_id=kenji.pk)
    Errand.objects.filter(pk=errand.pk).update(created_at=at(20, 17))
    message = do_post_message(actor=kenji, errand=errand, body="Calling now")
    Message.objects.filter(pk=message.pk).update(created_at=at(24, 10))
    errand.refresh_from_db()
    assert clocks_for([errand])[errand.pk].first_response_seconds == 2 * 3600


def test_the_queue_shows_how_long_each_customer_has_waited_in_business_hours(
    demo: Demo, web_as: Any
) -> None:
    """The queue is where a customer waits longest: its page shows the same clock as the
    errand list (business hours), not only the wall-clock time since the errand came in."""
    from django.utils import timezone

    from hisho.desk.templatetags.clocks import business_duration

    errand = demo.alice_new_errand
    Errand.objects.filter(pk=errand.pk).update(created_at=timezone.now() - dt.timedelta(days=9))
    errand.refresh_from_db()

    def waiting() -> str:
        return f"Waiting {business_duration(clocks_for([errand])[errand.pk].waiting_seconds)}"

    before = waiting()
    page = web_as("yuki").get("/queue/").content.decode()
    assert before in page or waiting() in page  # a minute may turn while the page renders
    assert before != f"Waiting {9 * 24} h 00 min"  # nights, weekends and holidays do not count
