"""The customer's files in their export, and gone with their account (POLICY K8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hisho.attachments.models import Attachment
from hisho.demo import Demo
from hisho.privacy.actions.erasure import do_erase_account
from tests.attachments import samples
from tests.privacy.test_export import validate


def _attach(client: Any, demo: Demo, name: str) -> dict[str, Any]:
    response = client.upload(
        f"/errands/{demo.alice_errand.pk}/attachments",
        {"file": samples.upload(name, samples.png())},
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_the_export_lists_her_files_with_their_names_and_links(demo: Demo, api_as: Any) -> None:
    mine = _attach(api_as("alice"), demo, "lease.png")
    theirs = _attach(api_as("kenji"), demo, "map.png")
    document = api_as("alice").get("/me/export").json()
    validate(document)
    files = {item["id"]: item for item in document["payload"]["attachments"]}
    assert files[mine["id"]]["name"] == "lease.png"
    assert files[mine["id"]]["uploaded_by"] == "you"
    assert files[theirs["id"]]["uploaded_by"] == "assistant"
    link = files[mine["id"]]["download"]
    alice = api_as("alice")
    assert alice.client.get(link, headers=alice.headers).status_code == 200
    # Staff exports hold no customer's files.
    assert api_as("kenji").get("/me/export").json()["payload"]["attachments"] == []


def test_erasure_deletes_the_rows_and_the_sealed_files(
    demo: Demo, api_as: Any, attachment_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    _attach(api_as("alice"), demo, "a.png")
    _attach(api_as("kenji"), demo, "b.png")
    assert len(list(attachment_dir.rglob("*.sealed"))) == 2
    with django_capture_on_commit_callbacks() as callbacks:
        receipt = do_erase_account(actor=demo.people["alice"])
    # Run the file deletion that was queued for the commit (the vault's WAL checkpoint,
    # also queued, cannot run inside the test's transaction).
    deletions = [c for c in callbacks if "_delete_stored" in getattr(c, "__qualname__", "")]
    assert len(deletions) == 1
    deletions[0]()
    assert receipt["payload"]["erased"]["attachments"] == 2
    assert Attachment.objects.count() == 0
    assert list(attachment_dir.rglob("*.sealed")) == []
