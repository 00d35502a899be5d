"""The privacy pages in plain words (issue 17): no machine codes, no ISO timestamps."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hisho.accounts.models import User

pytestmark = pytest.mark.django_db

ISO = re.compile(r">\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_my_data_speaks_plainly(web_as: Any, demo: Any, language: str) -> None:
    User.objects.filter(pk=demo.people["alice"].pk).update(language=language)
    client = web_as("alice")
    client.get(f"/errands/{demo.alice_errand.pk}/")  # a connection record
    html = client.get("/me/data/").content.decode()
    for code in ("read_errand", "usage_analytics", "newsletters", ">customer<", "errands/<"):
        assert code not in html, code
    assert not ISO.search(html), ISO.search(html)
    assert "<time datetime=" in html
    if language == "ja":
        assert "マイデータ" in html and "お客様" in html


def test_the_access_log_names_roles_in_words(web_as: Any, demo: Any) -> None:
    web_as("kenji").get(f"/errands/{demo.alice_errand.pk}/")
    User.objects.filter(pk=demo.people["alice"].pk).update(language="ja")
    html = web_as("alice").get("/me/access-log/").content.decode()
    assert "(assistant)" not in html and "アシスタント" in html
    assert not ISO.search(html)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_erasure_receipt_names_every_count_in_words(demo: Any, language: str) -> None:
    """Every count of the receipt, however the erasure grew (payments, files, processors,
    push subscriptions), is shown in words: before, some rows read `payments_unlinked`."""
    from django.utils import translation

    from hisho.privacy.actions.erasure import do_erase_account
    from hisho.privacy.plain import receipt_rows

    receipt = do_erase_account(actor=demo.people["alice"])["payload"]
    with translation.override(language):
        labels = [label for label, _count in receipt_rows(receipt["erased"])]
    for what in receipt["erased"]:
        assert what not in labels, what


def test_my_data_names_what_was_sent_and_the_language_in_words(web_as: Any, demo: Any) -> None:
    # The "What" of each disclosure showed the policy's data keys ("email, payments") and
    # the profile's language its code ("ja").
    from hisho.privacy.models import Disclosure

    alice = demo.people["alice"]
    User.objects.filter(pk=alice.pk).update(language="ja")
    Disclosure.objects.create(
        subject=alice, recipient="email_delivery", purpose="service_notices", data=["email"]
    )
    html = web_as("alice").get("/me/data/").content.decode()
    assert "<td>email</td>" not in html
    assert "<td>メールアドレス</td>" in html
    assert "<dd>ja</dd>" not in html and "<dd>日本語</dd>" in html
