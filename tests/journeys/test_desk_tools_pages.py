"""The desk tools' pages with their data in place (issue 18): the errand page of an
assistant with notes, labels and the canned-reply picker, the customer's confirm and
rating forms, the label-filtered list, the admins' desk tools and the assistant's rating
page — each fits a 360 px phone without sideways scrolling, in English and Japanese, and
axe-core finds nothing serious or critical on it."""

from __future__ import annotations

from typing import Any

import pytest

from hisho.accounts.models import User
from hisho.demo import load_demo
from hisho.desk.actions import do_assign_errand, do_change_status
from hisho.desk.tools.actions import (
    do_add_internal_note,
    do_create_canned_reply,
    do_create_label,
    do_rate_errand,
    do_set_errand_labels,
)
from tests.journeys.every_page import browser_context, client_for
from tests.journeys.test_accessibility import AXE, RUN

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "ja"])
def test_desk_tool_pages_fit_a_phone_and_pass_axe(browser: Any, site: str, language: str) -> None:
    demo = load_demo()
    User.objects.filter(pk__in=[p.pk for p in demo.people.values()]).update(language=language)
    alice, kenji, admin = demo.people["alice"], demo.people["kenji"], demo.people["admin"]
    label = do_create_label(actor=admin, name_en="Waiting for a call back", name_ja="折り返し待ち")
    do_create_label(actor=admin, name_en="Urgent", name_ja="至急")
    reply = do_create_canned_reply(
        actor=admin,
        title="Greeting",
        body_en="Hello {customer_name}, this is {assistant_name} about {errand_ref}.",
        body_ja="{customer_name}様、{errand_ref} の件で担当の{assistant_name}です。",
    )
    do_set_errand_labels(actor=kenji, errand=demo.alice_errand, label_ids=[label.pk])
    do_add_internal_note(actor=kenji, errand=demo.alice_errand, body="Prefers a call after 18:00.")
    finished = do_assign_errand(actor=admin, errand=demo.alice_new_errand, assistant_id=kenji.pk)
    finished = do_change_status(actor=kenji, errand=finished, status="in_progress")
    finished = do_change_status(actor=kenji, errand=finished, status="done")
    do_rate_errand(actor=alice, errand=finished, stars=4, comment="Quick and kind.")
    pages = {
        "kenji": [
            f"/errands/{demo.alice_errand.pk}/?canned={reply.pk}",
            f"/errands/?label={label.pk}",
            "/my-rating/",
        ],
        "alice": [f"/errands/{finished.pk}/", "/errands/"],
        "admin": ["/staff/desk/"],
    }
    source = AXE.read_text()
    offenders: list[str] = []
    for handle, urls in pages.items():
        client = client_for(demo, handle)
        context = browser_context(
            browser,
            site,
            client,
            viewport={"width": 360, "height": 740},
            locale={"en": "en-GB", "ja": "ja-JP"}[language],
        )
        page = context.new_page()
        for url in urls:
            page.goto(site + url)
            assert page.get_attribute("html", "lang") == language
            scroll, inner = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                offenders.append(f"{handle} {url}: {scroll} px wide")
            page.evaluate(source)
            offenders += [f"{handle} {url}: {v}" for v in page.evaluate(RUN)]
        context.close()
    # The tools really are on the pages measured.
    kenji_page = client_for(demo, "kenji").get(pages["kenji"][0]).content.decode()
    assert "Prefers a call after 18:00." in kenji_page and 'id="canned"' in kenji_page
    alice_page = client_for(demo, "alice").get(pages["alice"][0]).content.decode()
    assert 'action="/errands/' in alice_page and "Quick and kind." in alice_page
    assert not offenders, "\n".join(offenders)
