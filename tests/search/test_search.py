"""Private search (issue 18 part 5): a blind index of keyed tokens per errand, searched
only by the errand's customer and the assistant who holds it."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand, do_create_errand, do_post_message
from hisho.desk.models import Errand
from hisho.search.keys import digest, open_keys
from hisho.search.models import ErrandSearchKey, SearchToken
from hisho.search.tokens import tokens
from hisho.vault.actions import do_shred_customer_key

# A word nobody else has written: if anyone but alice and kenji finds it, search leaks.
MARKER = "zanzibarquokka"


def search(client: Any, q: str) -> list[str]:
    response = client.post("/search", {"q": q})
    assert response.status_code == 200, response.content[:300]
    return [item["id"] for item in response.json()["items"]]


def alice_errand_with_marker(demo: Demo) -> Errand:
    errand = demo.alice_errand
    do_post_message(actor=demo.people["alice"], errand=errand, body=f"The {MARKER} is back")
    return errand


def test_alice_and_her_assistant_find_her_errand_by_a_word_of_the_chat(
    demo: Demo, api_as: Any
) -> None:
    errand = alice_errand_with_marker(demo)
    assert search(api_as("alice"), MARKER.upper()) == [str(errand.pk)]
    assert search(api_as("kenji"), f"back {MARKER}") == [str(errand.pk)]
    # Every word must be there.
    assert search(api_as("alice"), f"{MARKER} heater") == []


def test_title_and_details_are_searchable(demo: Demo, api_as: Any) -> None:
    errand = do_create_errand(
        actor=demo.people["bob"],
        title="Ｒｅｎｅｗ my visa",
        details="Immigration Bureau, Shinagawa",
    )
    bob = api_as("bob")
    assert search(bob, "renew") == [str(errand.pk)]
    assert search(bob, "shinagawa immigration") == [str(errand.pk)]
    assert search(bob, "shinagaw") == []  # whole words only


@pytest.mark.parametrize("handle", ["bob", "yuki"])
def test_nobody_else_finds_alices_errand(demo: Demo, api_as: Any, handle: str) -> None:
    alice_errand_with_marker(demo)
    # They have errands of their own with the same word: still nothing of alice's.
    bob_errand = demo.bob_errand
    do_post_message(actor=demo.people["bob"], errand=bob_errand, body=f"my {MARKER} too")
    assert search(api_as(handle), MARKER) == [str(bob_errand.pk)]


@pytest.mark.parametrize("handle", ["admin", "admin2", "partner"])
def test_admins_and_partners_have_no_search(demo: Demo, api_as: Any, handle: str) -> None:
    alice_errand_with_marker(demo)
    response = api_as(handle).post("/search", {"q": MARKER})
    assert response.status_code == 403
    assert MARKER not in response.content.decode()


def test_signed_out_gets_401(demo: Demo, api_as: Any) -> None:
    assert api_as("anonymous").post("/search", {"q": MARKER}).status_code == 401


def test_an_assistant_who_lost_the_errand_no_longer_finds_it(demo: Demo, api_as: Any) -> None:
    errand = alice_errand_with_marker(demo)
    kenji = api_as("kenji")
    assert search(kenji, MARKER) == [str(errand.pk)]
    do_assign_errand(actor=demo.people["admin"], errand=errand, assistant_id=demo.people["yuki"].pk)
    assert search(kenji, MARKER) == []
    assert search(api_as("yuki"), MARKER) == [str(errand.pk)]


def test_the_index_holds_digests_only(demo: Demo) -> None:
    errand = alice_errand_with_marker(demo)
    row = ErrandSearchKey.objects.get(errand_id=errand.pk)
    assert MARKER.encode() not in bytes(row.sealed_key)
    key = open_keys([(errand.pk, errand.customer_id, row.sealed_key)])[errand.pk]
    stored = set(SearchToken.objects.filter(errand=errand).values_list("digest", flat=True))
    assert digest(key, MARKER) in stored
    # Another errand's key gives another digest for the same word: no linking across errands.
    other = demo.bob_errand
    do_post_message(actor=demo.people["bob"], errand=other, body=MARKER)
    other_row = ErrandSearchKey.objects.get(errand_id=other.pk)
    other_key = open_keys([(other.pk, other.customer_id, other_row.sealed_key)])[other.pk]
    assert digest(other_key, MARKER) != digest(key, MARKER)


def test_a_card_number_never_becomes_a_token(demo: Demo, api_as: Any) -> None:
    errand = demo.alice_errand
    do_post_message(actor=demo.people["alice"], errand=errand, body="card 4111 1111 1111 1111")
    row = ErrandSearchKey.objects.get(errand_id=errand.pk)
    key = open_keys([(errand.pk, errand.customer_id, row.sealed_key)])[errand.pk]
    stored = set(SearchToken.objects.filter(errand=errand).values_list("digest", flat=True))
    assert digest(key, "1111") in stored  # the last four, as stored
    for part in ("4111", "4111111111111111"):
        assert digest(key, part) not in stored
    assert search(api_as("alice"), "4111") == []


def test_after_shredding_nothing_matches(demo: Demo, api_as: Any) -> None:
    errand = alice_errand_with_marker(demo)
    alice = demo.people["alice"]
    assert search(api_as("alice"), MARKER) == [str(errand.pk)]
    do_shred_customer_key(actor=alice, customer=alice)
    # The digests are still in the table, but no key exists to reproduce them.
    assert SearchToken.objects.filter(errand=errand).exists()
    row = ErrandSearchKey.objects.get(errand_id=errand.pk)
    assert open_keys([(errand.pk, errand.customer_id, row.sealed_key)]) == {}
    assert search(api_as("kenji"), MARKER) == []


@pytest.mark.parametrize(
    "body",
    [{}, {"q": ""}, {"q": "x" * 201}, {"q": "a\x00b"}, {"q": 5}, {"q": "a", "extra": 1}],
)
def test_bad_queries_are_a_clear_4xx(demo: Demo, api_as: Any, body: Any) -> None:
    assert api_as("alice").post("/search", body).status_code in (400, 422)


def test_japanese_is_tokenised_into_words_with_base_forms() -> None:
    words = tokens("東京駅で切符を買いました。Tokyo駅")
    assert {"東京", "駅", "切符", "買う", "tokyo"} <= set(words)
    assert "で" not in words and "を" not in words  # particles are not words to search


def test_japanese_search_finds_words_inside_a_sentence(demo: Demo, api_as: Any) -> None:
    errand = do_create_errand(actor=demo.people["bob"], title="「東京駅で切符を買う」")
    bob = api_as("bob")
    assert search(bob, "切符") == [str(errand.pk)]
    assert search(bob, "東京") == [str(errand.pk)]
    assert search(bob, "買った切符") == [str(errand.pk)]  # base form of 買った is 買う
    assert search(bob, "京都") == []


def test_the_sealed_key_is_read_once_and_only_once_committed(
    demo: Demo, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The message post reads an errand's sealed search key once per process (the sealed
    bytes, kept once committed — hisho.search.actions.sealed_keys) and indexes with it;
    a key made by a write that rolled back is never kept, so the next write makes and
    stores its own, and what it indexes is found."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from hisho.search.actions import do_index_errand_text, sealed_keys

    alice, errand = demo.people["alice"], demo.alice_errand
    sealed_keys.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(actor=alice, errand=errand, body="First words")
    with CaptureQueriesContext(connection) as second:
        do_post_message(actor=alice, errand=errand, body=f"The {MARKER} again")
    assert not [q for q in second.captured_queries if "search_errandsearchkey" in q["sql"]]
    assert search(api_as("alice"), MARKER) == [str(errand.pk)]

    # A new key, made inside a write that rolls back, is forgotten with it.
    ErrandSearchKey.objects.filter(errand=errand).delete()
    SearchToken.objects.filter(errand=errand).delete()
    sealed_keys.clear()

    class Undo(Exception):
        pass

    with (
        pytest.raises(Undo),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        do_index_errand_text(actor=alice, errand=errand, texts=["lost words"])
        raise Undo
    assert len(sealed_keys) == 0
    assert not ErrandSearchKey.objects.filter(errand=errand).exists()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(actor=alice, errand=errand, body=f"{MARKER} once more")
    assert search(api_as("alice"), MARKER) == [str(errand.pk)]
