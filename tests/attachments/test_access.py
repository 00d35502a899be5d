"""Who gets alice's files (POLICY K7), what "Who saw my data" shows of it, and that a
shredded key leaves every file unreadable (K8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hisho.attachments.access import access_attachment, open_attachment
from hisho.attachments.models import Attachment
from hisho.demo import Demo
from hisho.desk.actions import do_assign_errand
from hisho.vault.actions import do_shred_customer_key
from hisho.vault.errors import CannotDecrypt
from hisho.vault.models import AccessAction, AccessLogEntry
from tests.attachments import samples
from tests.conftest import ROLES
from tests.principals import P

PARTICIPANTS = {"alice", "kenji"}


@pytest.fixture
def alice_file(demo: Demo, api_as: Any) -> dict[str, Any]:
    created = api_as("alice").upload(
        f"/errands/{demo.alice_errand.pk}/attachments",
        {"file": samples.upload("passport-tanaka.png", samples.png())},
    )
    assert created.status_code == 201, created.content
    return dict(created.json())


@pytest.mark.parametrize("role", [*ROLES, "admin2"])
def test_only_alice_and_kenji_reach_alices_files(
    role: str, demo: Demo, api_as: Any, alice_file: dict[str, Any]
) -> None:
    client = api_as(role)
    base = f"/errands/{demo.alice_errand.pk}/attachments"
    listed = client.get(base)
    download = client.get(f"{base}/{alice_file['id']}")
    upload = client.upload(base, {"file": samples.upload("x.png", samples.png())})
    expected = 401 if role == "anonymous" else (None if role in PARTICIPANTS else 404)
    if expected is None:
        assert (listed.status_code, download.status_code, upload.status_code) == (200, 200, 201)
        assert "passport-tanaka" in listed.content.decode()
    else:
        assert (listed.status_code, download.status_code, upload.status_code) == (expected,) * 3
        for response in (listed, download, upload):
            assert "passport-tanaka" not in response.content.decode()
            assert response["Content-Type"] == "application/problem+json"
        assert Attachment.objects.count() == 1


def test_bob_cannot_reach_alices_file_through_his_own_errand(
    demo: Demo, api_as: Any, alice_file: dict[str, Any]
) -> None:
    response = api_as("bob").get(f"/errands/{demo.bob_errand.pk}/attachments/{alice_file['id']}")
    assert response.status_code == 404


def test_a_staff_download_is_in_alices_access_log(
    demo: Demo, api_as: Any, alice_file: dict[str, Any]
) -> None:
    alice = demo.people["alice"]
    before = AccessLogEntry.objects.filter(customer=alice).count()
    kenji = api_as("kenji")
    path = f"/api/v1/errands/{demo.alice_errand.pk}/attachments/{alice_file['id']}"
    response = kenji.client.get(path, headers=kenji.headers)
    assert response.status_code == 200
    entries = list(AccessLogEntry.objects.filter(customer=alice).order_by("-id"))
    assert len(entries) == before + 1
    assert entries[0].actor == demo.people["kenji"]
    assert AccessAction.READ_FILES in entries[0].kind_list
    log = api_as("alice").get("/me/access-log").json()
    assert any(
        item["actor_name"] == "Kenji" and item["action"] == AccessAction.READ_FILES
        for item in (log["items"] if isinstance(log, dict) else log)
    )
    # alice's own downloads are not staff reads: nothing more is logged.
    alice_api = api_as("alice")
    assert alice_api.client.get(path, headers=alice_api.headers).status_code == 200
    assert AccessLogEntry.objects.filter(customer=alice).count() == before + 1


def test_a_reassignment_takes_the_files_away_at_once(
    demo: Demo, api_as: Any, alice_file: dict[str, Any]
) -> None:
    path = f"/errands/{demo.alice_errand.pk}/attachments/{alice_file['id']}"
    assert api_as("kenji").get(path).status_code == 200
    moved = api_as("admin").post(
        f"/errands/{demo.alice_errand.pk}/assign", {"assistant_id": demo.people["yuki"].pk}
    )
    assert moved.status_code == 200
    assert api_as("kenji").get(path).status_code == 404


def test_shredding_leaves_every_file_unreadable(
    demo: Demo, api_as: Any, alice_file: dict[str, Any], attachment_dir: Path
) -> None:
    alice = demo.people["alice"]
    attachment = access_attachment(P(alice), demo.alice_errand.pk, alice_file["id"])
    assert b"".join(open_attachment(P(alice), attachment)).startswith(b"\x89PNG")
    sealed = [p.read_bytes() for p in attachment_dir.rglob("*.sealed")]
    assert len(sealed) == 1
    do_shred_customer_key(actor=alice, customer=alice)
    # The ciphertext is still there, unchanged; nobody can open it any more.
    assert [p.read_bytes() for p in attachment_dir.rglob("*.sealed")] == sealed
    for who in ("alice", "kenji"):
        with pytest.raises(CannotDecrypt):
            b"".join(open_attachment(P(demo.people[who]), attachment))
    response = api_as("alice").get(
        f"/errands/{demo.alice_errand.pk}/attachments/{alice_file['id']}"
    )
    assert response.status_code == 409


def test_a_file_gone_from_the_store_is_a_409_not_a_500(
    demo: Demo, api_as: Any, alice_file: dict[str, Any], attachment_dir: Path
) -> None:
    (path,) = list(attachment_dir.rglob("*.sealed"))
    path.unlink()
    response = api_as("alice").get(
        f"/errands/{demo.alice_errand.pk}/attachments/{alice_file['id']}"
    )
    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_a_changed_byte_does_not_open(
    demo: Demo, alice_file: dict[str, Any], attachment_dir: Path
) -> None:
    alice = demo.people["alice"]
    (path,) = list(attachment_dir.rglob("*.sealed"))
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    attachment = access_attachment(P(alice), demo.alice_errand.pk, alice_file["id"])
    with pytest.raises(CannotDecrypt):
        b"".join(open_attachment(P(alice), attachment))


def test_a_file_moved_to_another_row_does_not_open(
    demo: Demo, api_as: Any, alice_file: dict[str, Any], attachment_dir: Path
) -> None:
    second = api_as("alice").upload(
        f"/errands/{demo.alice_errand.pk}/attachments",
        {"file": samples.upload("other.png", samples.png((5, 5)))},
    )
    first_path = next(attachment_dir.rglob(f"{alice_file['id']}.sealed"))
    second_path = next(attachment_dir.rglob(f"{second.json()['id']}.sealed"))
    second_path.write_bytes(first_path.read_bytes())
    alice = demo.people["alice"]
    attachment = access_attachment(P(alice), demo.alice_errand.pk, second.json()["id"])
    with pytest.raises(CannotDecrypt):
        b"".join(open_attachment(P(alice), attachment))


def test_the_list_costs_the_same_queries_for_one_file_or_ten(
    demo: Demo, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    kenji = api_as("kenji")
    base = f"/errands/{demo.alice_errand.pk}/attachments"
    kenji.upload(base, {"file": samples.upload("1.png", samples.png())})
    kenji.get(base)  # warm the key cache and the session
    with django_assert_max_num_queries(20) as one:
        assert len(kenji.get(base).json()) == 1
    queries_for_one = len(one.captured_queries)  # before the next request resets the log
    for n in range(9):
        kenji.upload(base, {"file": samples.upload(f"{n}.png", samples.png())})
    with django_assert_max_num_queries(queries_for_one):
        assert len(kenji.get(base).json()) == 10


def test_an_assistant_taken_off_during_an_upload_adds_nothing(
    demo: Demo, api_as: Any, attachment_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Screening runs before the transaction; whoever loses the errand meanwhile (here
    kenji, reassigned to yuki while his file is checked) leaves no file in it."""
    from hisho.attachments import actions

    real_screen = actions.screen

    def screen_then_reassign(*args: Any, **kwargs: Any) -> Any:
        screened = real_screen(*args, **kwargs)
        do_assign_errand(
            actor=demo.people["admin"],
            errand=demo.alice_errand,
            assistant_id=demo.people["yuki"].pk,
        )
        return screened

    monkeypatch.setattr(actions, "screen", screen_then_reassign)
    base = f"/errands/{demo.alice_errand.pk}/attachments"
    response = api_as("kenji").upload(base, {"file": samples.upload("late.png", samples.png())})
    assert response.status_code == 404, response.content
    assert not Attachment.objects.exists()
    assert not [p for p in attachment_dir.rglob("*") if p.is_file()]
