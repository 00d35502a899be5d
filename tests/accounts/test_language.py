"""Japanese throughout (issue 17): the language comes from the profile, else from the
browser; the switch in the navigation keeps it on the profile; times read naturally."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from hisho.accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_browser_language_is_the_default() -> None:
    html = Client(headers={"Accept-Language": "ja"}).get("/").content.decode()
    assert '<html lang="ja">' in html
    assert "日本の暮らしのための秘書サービス" in html and "新規登録" in html


def test_the_profile_language_wins_over_the_browser(web_as: Any, demo: Any) -> None:
    alice = demo.people["alice"]
    User.objects.filter(pk=alice.pk).update(language="ja")
    html = web_as("alice").get("/errands/", headers={"Accept-Language": "en"}).content.decode()
    assert "私の用件" in html and "My errands" not in html


def test_the_switch_keeps_the_choice_on_the_profile(web_as: Any, demo: Any) -> None:
    client = web_as("bob")
    response = client.post("/language/", {"language": "ja", "next": "/errands/"})
    assert response.status_code == 302 and response["Location"] == "/errands/"
    assert User.objects.get(pk=demo.people["bob"].pk).language == "ja"
    assert "サインアウト" in client.get("/errands/").content.decode()
    # Back to English, from the button the page now shows.
    assert 'value="en"' in client.get("/errands/").content.decode()
    client.post("/language/", {"language": "en", "next": "https://elsewhere.example/"})
    assert User.objects.get(pk=demo.people["bob"].pk).language == "en"


def test_a_visitor_switch_uses_the_language_cookie_only() -> None:
    client = Client()
    response = client.post("/language/", {"language": "ja", "next": "/"})
    assert response["Location"] == "/"
    assert response.cookies["django_language"].value == "ja"
    assert "新規登録" in client.get("/").content.decode()


def test_an_unknown_language_changes_nothing(web_as: Any, demo: Any) -> None:
    response = web_as("alice").post("/language/", {"language": "xx"})
    assert response.status_code == 302
    assert User.objects.get(pk=demo.people["alice"].pk).language in ("", "en")


def test_sign_up_keeps_the_browser_language_for_later_e_mails() -> None:
    Client(headers={"Accept-Language": "ja"}).post(
        "/accounts/signup/",
        {
            "email": "hanako@example.com",
            "password1": "a long pass 12",
            "password2": "a long pass 12",
        },
    )
    assert User.objects.get(email="hanako@example.com").language == "ja"


def render(text: str, **context: Any) -> str:
    return Template(text).render(Context(context))


def test_moments_read_naturally_in_each_language() -> None:
    now = timezone.now()
    moment = now.replace(month=3, day=5, hour=0, minute=7, second=9, microsecond=123456)
    moment = moment.astimezone(dt.UTC)  # stored in UTC, shown in Tokyo time
    with translation.override("en"):
        english = render("{{ m|when }}", m=moment)
    with translation.override("ja"):
        japanese = render("{{ m|when }}", m=moment)
        ago = render("{{ m|ago }}", m=now - dt.timedelta(minutes=7))
    local = timezone.localtime(moment)
    assert f">{local:%b} {local.day}, {local:%H:%M}</time>" in english
    assert f">{local.month}月{local.day}日 {local.hour}:{local:%M}</time>" in japanese
    assert "7分前" in ago and "ago" not in ago
    assert "123456" not in english + japanese  # machines get seconds, people minutes


def test_export_style_iso_strings_are_shown_the_same_way() -> None:
    with translation.override("ja"):
        html = render("{{ m|when }}", m="2024-02-03T04:05:06.789012Z")
    assert "2024年2月3日 13:05" in html and ".789012" not in html


def test_errand_pages_have_no_mixed_language_times(web_as: Any, demo: Any) -> None:
    User.objects.filter(pk=demo.people["alice"].pk).update(language="ja")
    html = web_as("alice").get("/errands/").content.decode()
    assert " ago" not in html and "前</time>" in html


def test_e_mails_speak_the_recipients_language(
    api_as: Any, demo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    kenji = demo.people["kenji"]
    User.objects.filter(pk=kenji.pk).update(language="ja")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("admin").put(f"/people/{kenji.pk}/role", {"role": "partner"})
    assert response.status_code == 202, response.content
    subjects = [m.subject for m in mail.outbox if kenji.email in m.to]
    assert subjects and all("Hisho" in s for s in subjects)
    assert any(any("\u3040" <= ch <= "\u9fff" for ch in s) for s in subjects), subjects
