"""Errand lists (issue 18 part 4): unread counts per person, last activity, sort and
filter by status, pagination — in the API and the pages."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.actions import do_change_status, do_create_errand, do_post_message
from hisho.desk.models import Errand, Message


def listed(client: Any, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/errands", **params)
    assert response.status_code == 200, response.content[:300]
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def unread_of(client: Any, errand: Errand) -> Any:
    (item,) = [i for i in listed(client) if i["id"] == str(errand.pk)]
    return item.get("unread")


def test_unread_counts_follow_what_each_person_has_read(
    demo: Demo, api_as: Any, web_as: Any
) -> None:
    errand = demo.alice_errand
    alice_api, kenji_api = api_as("alice"), api_as("kenji")
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    kenji_api.get(f"/errands/{errand.pk}/messages")  # kenji has read everything so far
    alice_api.get(f"/errands/{errand.pk}/messages")
    assert unread_of(alice_api, errand) == 0
    do_post_message(actor=kenji, errand=errand, body="Found a table for Friday")
    do_post_message(actor=kenji, errand=errand, body="At 19:00?")
    assert unread_of(alice_api, errand) == 2
    assert unread_of(kenji_api, errand) == 0  # one's own messages are never unread
    # Reading the messages (API) clears them; a new one counts again.
    alice_api.get(f"/errands/{errand.pk}/messages")
    assert unread_of(alice_api, errand) == 0
    do_post_message(actor=alice, errand=errand, body="Yes please")
    do_post_message(actor=kenji, errand=errand, body="Booked")
    assert unread_of(alice_api, errand) == 1
    assert unread_of(kenji_api, errand) == 1
    # Opening the errand's page reads it too.
    assert web_as("alice").get(f"/errands/{errand.pk}/").status_code == 200
    assert unread_of(alice_api, errand) == 0
    assert unread_of(kenji_api, errand) == 1  # per person


def test_admins_get_no_unread_counts_but_clocks(demo: Demo, api_as: Any) -> None:
    for item in listed(api_as("admin")):
        assert item["unread"] is None
        assert item["clocks"]["state"] in ("waiting_on_assistant", "waiting_on_customer", "closed")
    for item in listed(api_as("alice")):
        assert item["clocks"] is None and isinstance(item["unread"], int)


def test_filter_by_status_and_sort_by_last_activity(demo: Demo, api_as: Any) -> None:
    alice = demo.people["alice"]
    older = do_create_errand(actor=alice, title="Older")
    newer = do_create_errand(actor=alice, title="Newer")
    client = api_as("alice")
    assert [i["id"] for i in listed(client)][:2] == [str(newer.pk), str(older.pk)]
    # Something happens on the older one: it leads when sorted by activity.
    do_change_status(actor=alice, errand=older, status="cancelled")
    by_activity = [i["id"] for i in listed(client, sort="activity")]
    assert by_activity[0] == str(older.pk)
    assert [i["id"] for i in listed(client)][:2] == [str(newer.pk), str(older.pk)]
    cancelled = client.get("/errands", status="cancelled").json()
    assert [i["id"] for i in cancelled["items"]] == [str(older.pk)]
    assert cancelled["count"] == 1
    assert {i["status"] for i in listed(client, status="new")} == {"new"}


@pytest.mark.parametrize("query", [{"status": "lost"}, {"sort": "title"}, {"limit": 0}])
def test_bad_list_parameters_are_a_clear_4xx(demo: Demo, api_as: Any, query: Any) -> None:
    assert api_as("alice").get("/errands", **query).status_code in (400, 422)


def test_the_page_filters_sorts_and_pages_with_links(demo: Demo, web_as: Any) -> None:
    alice = demo.people["alice"]
    for n in range(30):
        do_create_errand(actor=alice, title=f"Errand number {n:02d}")
    client = web_as("alice")
    first = client.get("/errands/").content.decode()
    assert "Errand number 29" in first and "Errand number 00" not in first
    assert 'href="?page=2"' in first and 'rel="next"' in first
    second = client.get("/errands/?page=2").content.decode()
    assert "Errand number 00" in second and "Errand number 29" not in second
    assert 'rel="prev"' in second
    filtered = client.get("/errands/?status=in_progress").content.decode()
    assert "Errand number" not in filtered
    sorted_page = client.get("/errands/?sort=activity&page=2").content.decode()
    assert "sort=activity&amp;page=1" in sorted_page  # the links keep the order
    assert client.get("/errands/?status=lost").status_code == 400


def test_unread_counts_show_on_the_page(demo: Demo, web_as: Any) -> None:
    errand = demo.alice_errand
    alice = web_as("alice")
    alice.get(f"/errands/{errand.pk}/")
    do_post_message(actor=demo.people["kenji"], errand=errand, body="News")
    assert "1 new message" in alice.get("/errands/").content.decode()
    alice.get(f"/errands/{errand.pk}/")
    assert "1 new message" not in alice.get("/errands/").content.decode()


def test_staff_see_response_times(demo: Demo, web_as: Any, api_as: Any) -> None:
    page = web_as("admin").get("/errands/").content.decode()
    assert "Response times" in page and "First response" in page
    kenji_page = web_as("kenji").get("/errands/").content.decode()
    assert "Response time" in kenji_page
    assert "Response time" not in web_as("alice").get("/errands/").content.decode()
    figures = api_as("admin").get("/response-times", days=7)
    assert figures.status_code == 200
    body = figures.json()
    assert body["days"] == 7 and body["errands"] >= 1 and "Mon" in body["business_hours"]
    for handle in ("alice", "kenji", "partner"):
        assert api_as(handle).get("/response-times").status_code == 403
    assert api_as("admin").get("/response-times", days=0).status_code in (400, 422)


def test_a_long_chat_opens_on_its_latest_messages(
    demo: Demo, api_as: Any, web_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat longer than the page shows opened on its *oldest* messages: the newest never
    appeared without JavaScript, and opening the page marked only the oldest as read."""
    from hisho.desk import views

    errand, kenji = demo.alice_errand, demo.people["kenji"]
    for n in range(5):
        do_post_message(actor=kenji, errand=errand, body=f"Update number {n}")
    shown = Message.objects.filter(errand=errand).count() - 2
    monkeypatch.setattr(views, "CHAT_SHOWN", shown)
    page = web_as("alice").get(f"/errands/{errand.pk}/").content.decode()
    assert "Update number 4" in page and "Update number 0" in page
    assert 'data-testid="earlier-messages"' in page and "latest-messages" not in page
    assert unread_of(api_as("alice"), errand) == 0  # the newest were shown, so read

    ids = list(Message.objects.filter(errand=errand).order_by("id").values_list("id", flat=True))
    first_shown = ids[2]
    assert f"?before={first_shown}#live-chat" in page
    earlier = web_as("alice").get(f"/errands/{errand.pk}/?before={first_shown}").content.decode()
    assert f'data-id="{ids[0]}"' in earlier and f'data-id="{ids[1]}"' in earlier
    assert f'data-id="{ids[2]}"' not in earlier and 'data-testid="earlier-messages"' not in earlier
    assert 'data-testid="latest-messages"' in earlier
    # Nobody else sees the chat through it: the same 404 as for the errand.
    for other in ("bob", "yuki", "admin"):
        response = web_as(other).get(f"/errands/{errand.pk}/?before={first_shown}")
        assert response.status_code in (404, 200), other
        assert "Update number" not in response.content.decode(), other
    # A "before" that is no id is ignored, not a 500.
    for bad in ("x", "9" * 40, "-1", "٣"):
        assert web_as("alice").get(f"/errands/{errand.pk}/?before={bad}").status_code == 200
