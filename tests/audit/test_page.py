"""The admin page of the audit log: admins only, with filters."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.audit.actions import do_erase_audit_subject
from hisho.demo import Demo


@pytest.mark.parametrize("handle", ["alice", "kenji", "partner"])
def test_other_roles_are_refused(demo: Demo, web_as: Any, handle: str) -> None:
    assert web_as(handle).get("/staff/audit/").status_code == 403


def test_anonymous_is_sent_to_sign_in(demo: Demo, web_as: Any) -> None:
    response = web_as("anonymous").get("/staff/audit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_sees_the_log_and_filters_it(demo: Demo, web_as: Any) -> None:
    client = web_as("admin")
    page = client.get("/staff/audit/").content.decode()
    assert "errand.created" in page and "account.created" in page
    assert "alice@example.com" not in page and "Shibuya" not in page

    only = client.get("/staff/audit/", {"event": "errand.assigned"}).content.decode()
    assert "<code>errand.assigned</code>" in only and "<code>errand.created</code>" not in only
    prefix = client.get("/staff/audit/", {"event": "message."}).content.decode()
    assert "<code>message.posted</code>" in prefix and "<code>errand.assigned</code>" not in prefix

    kenji = demo.people["kenji"]
    by_person = client.get("/staff/audit/", {"person": kenji.pk}).content
    assert b"errand.assigned" in by_person and b"account.created" in by_person
    assert b"<code>errand.created</code>" not in by_person  # customers create errands

    assert client.get("/staff/audit/", {"event": "<script>"}).status_code == 400
    assert client.get("/staff/audit/", {"pseudonym": "zz"}).status_code == 400


def test_erased_people_show_by_pseudonym(demo: Demo, web_as: Any) -> None:
    ref = do_erase_audit_subject(actor=demo.people["admin"], person_id=demo.people["bob"].pk)
    page = web_as("admin").get("/staff/audit/", {"pseudonym": ref}).content.decode()
    assert "errand.created" in page and f"erased {ref[:12]}" in page


def test_the_filter_is_labelled_in_the_admins_language(demo: Demo, web_as: Any) -> None:
    # Its labels came from the field names: "Person id", "Target type"… on a Japanese page.
    from hisho.accounts.models import User

    User.objects.filter(pk=demo.people["admin"].pk).update(language="ja")
    page = web_as("admin").get("/staff/audit/").content.decode()
    for english in ("Person id", "Pseudonym", "Target type", "Target id", "Since", "e.g. "):
        assert english not in page, english
    assert "利用者 ID" in page and "開始日" in page
