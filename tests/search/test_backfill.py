"""Errands older than the private search index (issue 18 shipped it with "no backfill":
such errands were never found by the words they held before). Their customer or their
assistant opening the errand fills the index from the text they have just read — no
unseal of its own, nobody else's reading counts, and only once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk import views
from hisho.desk.actions import do_post_message
from hisho.desk.models import Errand, Message
from hisho.search.actions import complete_errands, sealed_keys
from hisho.search.models import ErrandSearchKey, SearchToken
from hisho.vault.sealing import PLACEHOLDER

OLD_WORD = "okapimarmalade"  # in a message written before the index existed
NEW_WORD = "quetzalteapot"  # in a message written after


def search(client: Any, q: str) -> list[str]:
    response = client.post("/search", {"q": q})
    assert response.status_code == 200, response.content[:300]
    return [item["id"] for item in response.json()["items"]]


def older_than_the_index(demo: Demo) -> Errand:
    """alice's assigned errand as a database upgraded from before issue 18 holds it: no
    search key and no tokens; then a message after the upgrade makes a key (incomplete)
    and indexes only its own words."""
    errand = demo.alice_errand
    do_post_message(actor=demo.people["alice"], errand=errand, body=f"The {OLD_WORD} please")
    SearchToken.objects.filter(errand=errand).delete()
    ErrandSearchKey.objects.filter(errand=errand).delete()
    sealed_keys.clear()
    complete_errands.clear()
    do_post_message(actor=demo.people["kenji"], errand=errand, body=f"A {NEW_WORD} too")
    assert not ErrandSearchKey.objects.get(errand=errand).complete
    return errand


@pytest.mark.parametrize("reader", ["alice", "kenji"])
def test_the_customer_or_the_assistant_opening_it_makes_it_searchable(
    demo: Demo, api_as: Any, web_as: Any, reader: str, django_capture_on_commit_callbacks: Any
) -> None:
    errand = older_than_the_index(demo)
    for handle in ("alice", "kenji"):
        assert search(api_as(handle), NEW_WORD) == [str(errand.pk)]
        assert search(api_as(handle), OLD_WORD) == []
        assert search(api_as(handle), "vegetarian") == []  # a word of the errand's details

    with django_capture_on_commit_callbacks(execute=True):
        assert web_as(reader).get(f"/errands/{errand.pk}/").status_code == 200

    assert ErrandSearchKey.objects.get(errand=errand).complete
    (completed,) = AuditEvent.objects.filter(event="search.index_completed")
    assert completed.actor_id == demo.people[reader].pk and completed.extra["words"] > 0
    for handle in ("alice", "kenji"):
        for word in (OLD_WORD, NEW_WORD, "vegetarian"):
            assert search(api_as(handle), word) == [str(errand.pk)]
    # Opened again: no query of the index at all (known complete in this process), and
    # in a fresh process one read of the flag and no write.
    tokens = SearchToken.objects.filter(errand=errand).count()
    with CaptureQueriesContext(connection) as again:
        assert web_as(reader).get(f"/errands/{errand.pk}/").status_code == 200
    assert not [q["sql"] for q in again.captured_queries if '"search_' in q["sql"]]
    complete_errands.clear()
    with CaptureQueriesContext(connection) as fresh:
        assert web_as(reader).get(f"/errands/{errand.pk}/").status_code == 200
    index_queries = [q["sql"] for q in fresh.captured_queries if '"search_' in q["sql"]]
    assert len(index_queries) == 1 and index_queries[0].startswith("SELECT")
    assert SearchToken.objects.filter(errand=errand).count() == tokens
    assert AuditEvent.objects.filter(event="search.index_completed").count() == 1


@pytest.mark.parametrize("reader", ["admin", "admin2", "yuki"])
def test_nobody_who_cannot_read_it_fills_its_index(
    demo: Demo, api_as: Any, web_as: Any, reader: str
) -> None:
    errand = older_than_the_index(demo)
    tokens = SearchToken.objects.filter(errand=errand).count()
    web_as(reader).get(f"/errands/{errand.pk}/")  # triage, or not found
    assert SearchToken.objects.filter(errand=errand).count() == tokens
    assert not ErrandSearchKey.objects.get(errand=errand).complete
    assert search(api_as("alice"), OLD_WORD) == []


def test_a_chat_longer_than_the_page_shows_is_not_taken_for_the_whole_text(
    demo: Demo, api_as: Any, web_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    errand = older_than_the_index(demo)
    monkeypatch.setattr(views, "CHAT_SHOWN", Message.objects.filter(errand=errand).count() - 1)
    assert web_as("alice").get(f"/errands/{errand.pk}/").status_code == 200
    assert not ErrandSearchKey.objects.get(errand=errand).complete
    assert search(api_as("alice"), OLD_WORD) == []


def test_a_message_that_does_not_open_is_not_indexed(demo: Demo, api_as: Any, web_as: Any) -> None:
    """A body swapped with another message's no longer opens (its seal is bound to its
    place): the reader sees the placeholder, and neither it nor the swapped text is
    indexed."""
    errand = older_than_the_index(demo)
    old, new = Message.objects.filter(errand=errand).order_by("-id")[:2][::-1]
    Message.objects.filter(pk=old.pk).update(sealed_body=new.sealed_body)
    assert web_as("alice").get(f"/errands/{errand.pk}/").status_code == 200
    assert ErrandSearchKey.objects.get(errand=errand).complete
    assert search(api_as("alice"), OLD_WORD) == []
    placeholder_word = max(PLACEHOLDER.split(), key=len).strip(".,()[]—")
    assert search(api_as("alice"), placeholder_word) == []
