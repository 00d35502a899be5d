"""The errand page's files: listed in the chat with download links, attached with the
form (no JavaScript needed; attachments.js adds progress), for participants only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hisho.attachments.models import Attachment
from hisho.demo import Demo
from hisho.inbound import CARD_REFUSED_NOTICE
from tests.attachments import samples
from tests.conftest import ROLES


def page_upload(client: Any, demo: Demo, name: str, data: bytes) -> Any:
    return client.post(
        f"/errands/{demo.alice_errand.pk}/attachments/",
        {"file": samples.upload(name, data)},
        follow=True,
    )


def test_alice_attaches_a_file_on_the_page_and_kenji_sees_it(demo: Demo, web_as: Any) -> None:
    page = page_upload(web_as("alice"), demo, "lease-contract.pdf", samples.pdf())
    assert page.status_code == 200
    assert "File attached." in page.content.decode()
    attachment = Attachment.objects.get()
    text = web_as("kenji").get(f"/errands/{demo.alice_errand.pk}/").content.decode()
    assert "lease-contract.pdf" in text
    assert f'href="/api/v1/errands/{demo.alice_errand.pk}/attachments/{attachment.pk}"' in text
    assert "hisho/attachments.js" in text and 'data-upload-url="' in text


def test_a_refused_file_is_explained_on_the_page(
    demo: Demo, web_as: Any, attachment_dir: Path
) -> None:
    page = page_upload(web_as("alice"), demo, "4111 1111 1111 1111.png", samples.png())
    assert CARD_REFUSED_NOTICE["en"] in page.content.decode()
    assert Attachment.objects.count() == 0 and list(attachment_dir.rglob("*")) == []


def test_the_page_speaks_japanese(demo: Demo, web_as: Any) -> None:
    alice = web_as("alice")
    alice.cookies["django_language"] = "ja"
    text = alice.get(f"/errands/{demo.alice_errand.pk}/", headers={"Accept-Language": "ja"})
    assert "ファイル" in text.content.decode()


@pytest.mark.parametrize("role", [*ROLES, "admin2"])
def test_only_participants_attach_on_the_page(
    role: str, demo: Demo, web_as: Any, attachment_dir: Path
) -> None:
    response = web_as(role).post(
        f"/errands/{demo.alice_errand.pk}/attachments/",
        {"file": samples.upload("x.png", samples.png())},
    )
    expected = {"anonymous": 302, "alice": 302, "kenji": 302}.get(role, 404)
    assert response.status_code == expected
    assert Attachment.objects.count() == (1 if role in ("alice", "kenji") else 0)


def test_the_triage_page_shows_no_files(demo: Demo, web_as: Any, api_as: Any) -> None:
    api_as("alice").upload(
        f"/errands/{demo.alice_errand.pk}/attachments",
        {"file": samples.upload("secret-floorplan.png", samples.png())},
    )
    text = web_as("admin").get(f"/errands/{demo.alice_errand.pk}/").content.decode()
    assert "secret-floorplan" not in text and "attachments" not in text
