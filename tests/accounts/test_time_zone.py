"""A per-person time zone (issue 17): chosen on the profile or through the API, empty
meaning Asia/Tokyo; pages and e-mails show times in it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from hisho.accounts.models import User
from tests.privacy.test_export import validate, verify

pytestmark = pytest.mark.django_db


def test_the_api_sets_shows_and_clears_the_zone(api_as: Any, demo: Any) -> None:
    alice = api_as("alice")
    assert alice.get("/me").json()["time_zone"] is None  # Asia/Tokyo
    body = alice.patch("/me", {"time_zone": "Europe/Paris"}).json()
    assert body["time_zone"] == "Europe/Paris"
    assert User.objects.get(pk=demo.people["alice"].pk).time_zone == "Europe/Paris"
    assert alice.get("/me").json()["time_zone"] == "Europe/Paris"
    assert alice.patch("/me", {"time_zone": ""}).json()["time_zone"] is None
    alice.patch("/me", {"time_zone": "America/New_York"})
    assert alice.patch("/me", {"time_zone": None}).json()["time_zone"] is None


@pytest.mark.parametrize(
    "value",
    # "localtime" and "Factory" are files of the zone database, offered before: the
    # server's own zone (whatever the host's is) and a zone that shows "-00".
    ["Mars/Olympus", "asia/tokyo", "+09:00", 9, True, "x" * 300, "localtime", "Factory"],
)
def test_unknown_zones_are_refused(api_as: Any, value: Any) -> None:
    response = api_as("alice").patch("/me", {"time_zone": value})
    assert response.status_code == 422, response.content
    assert "time_zone" in response.content.decode()


def test_the_openapi_document_lists_the_zones() -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    option = schemas["MePatch"]["properties"]["time_zone"]["anyOf"][0]
    assert "Asia/Tokyo" in option["enum"] and "" in option["enum"]
    assert "time_zone" in schemas["MeOut"]["properties"]


@pytest.mark.parametrize(
    ("language", "words"), [("en", ["Time zone", "Common"]), ("ja", ["タイムゾーン", "よく使う"])]
)
def test_the_profile_page_offers_common_zones_then_all(
    web_as: Any, demo: Any, language: str, words: list[str]
) -> None:
    User.objects.filter(pk=demo.people["alice"].pk).update(language=language)
    client = web_as("alice")
    html = client.get("/me/").content.decode()
    assert '<select name="time_zone"' in html
    assert all(word in html for word in words), words
    assert html.index('value="Asia/Seoul"') < html.index('value="Africa/Abidjan"')
    assert 'value="Pacific/Auckland"' in html  # the full list too
    response = client.post("/me/", {"time_zone": "Asia/Seoul", "language": language})
    assert response.status_code == 302
    assert User.objects.get(pk=demo.people["alice"].pk).time_zone == "Asia/Seoul"


def test_pages_show_times_in_the_persons_zone(web_as: Any, demo: Any) -> None:
    alice = demo.people["alice"]
    tokyo = web_as("alice").get("/errands/").content.decode()
    assert re.search(r'datetime="[^"]+\+09:00"', tokyo)
    User.objects.filter(pk=alice.pk).update(time_zone="America/Los_Angeles")
    la = web_as("alice").get("/errands/").content.decode()
    assert re.search(r'datetime="[^"]+-0[78]:00"', la), la
    assert not re.search(r'datetime="[^"]+\+09:00"', la)
    # The zone ends with the request; visitors keep Japan time.
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"
    visitor = Client().get("/privacy/").content.decode()
    assert "-07:00" not in visitor and "-08:00" not in visitor


def test_e_mail_text_uses_the_recipients_zone() -> None:
    from hisho.zones import speaking_to

    moment = dt.datetime(2026, 3, 5, 20, 30, tzinfo=dt.UTC)
    text = Template("{{ m|when }}")
    with speaking_to(User(language="en", time_zone="America/New_York")):
        new_york = text.render(Context({"m": moment}))
    with speaking_to(User(language="ja")):
        tokyo = text.render(Context({"m": moment}))
    assert "Mar 5, 15:30" in new_york
    assert "3月6日 5:30" in tokyo


def test_the_export_carries_the_zone(api_as: Any) -> None:
    alice = api_as("alice")
    alice.patch("/me", {"time_zone": "Asia/Singapore"})
    response = alice.get("/me/export")
    assert response.status_code == 200, response.content
    document = response.json()
    validate(document)
    assert verify(document)["profile"]["time_zone"] == "Asia/Singapore"
