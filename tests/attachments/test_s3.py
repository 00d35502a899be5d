"""The scaled shape: attachments in an S3-compatible bucket through django-storages,
driven against moto's in-process S3 (`mock_aws`). Only ciphertext reaches the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from hisho.demo import Demo
from tests.attachments import samples

BUCKET = "hisho-attachments-test"


@pytest.fixture
def bucket(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="ap-northeast-1")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "attachments": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "ap-northeast-1",
                    "location": "attachments",
                    "default_acl": "private",
                    "file_overwrite": False,
                },
            },
        }
        yield s3


def test_files_go_to_the_bucket_sealed_and_come_back(demo: Demo, api_as: Any, bucket: Any) -> None:
    alice = api_as("alice")
    base = f"/errands/{demo.alice_errand.pk}/attachments"
    photo = alice.upload(base, {"file": samples.upload("a.jpg", samples.gps_photo())})
    document = alice.upload(base, {"file": samples.upload("b.pdf", samples.pdf())})
    assert photo.status_code == document.status_code == 201, photo.content
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert sorted(keys) == sorted(
        f"attachments/{demo.alice_errand.pk}/{r.json()['id']}.sealed" for r in (photo, document)
    )
    for key in keys:
        stored = bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert stored.startswith(b"HSF1")
        for signature in (b"\xff\xd8\xff", b"%PDF", b"Receipt"):
            assert signature not in stored
    kenji = api_as("kenji")
    response = kenji.client.get(f"/api/v1{base}/{document.json()['id']}", headers=kenji.headers)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.pdf()


def test_a_refused_file_leaves_nothing_in_the_bucket(demo: Demo, api_as: Any, bucket: Any) -> None:
    base = f"/errands/{demo.alice_errand.pk}/attachments"
    refused = api_as("alice").upload(base, {"file": samples.upload("x.jpg", samples.elf_program())})
    assert refused.status_code == 422
    assert bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_a_file_without_its_row_is_swept_from_the_bucket(
    demo: Demo, api_as: Any, bucket: Any
) -> None:
    """The daily sweep (tests/attachments/test_orphans.py) lists a bucket as it lists a
    directory: the row's file stays, a copy under another errand's prefix goes."""
    import datetime as dt
    import uuid

    from django.utils import timezone

    from hisho.attachments.actions import do_delete_orphaned_files

    base = f"/errands/{demo.alice_errand.pk}/attachments"
    photo = api_as("alice").upload(base, {"file": samples.upload("a.png", samples.png())})
    assert photo.status_code == 201
    kept = f"attachments/{demo.alice_errand.pk}/{photo.json()['id']}.sealed"
    orphan = f"attachments/{uuid.uuid4()}/{uuid.uuid4()}.sealed"
    bucket.put_object(Bucket=BUCKET, Key=orphan, Body=b"HSF1 left behind")
    later = timezone.now() + dt.timedelta(hours=2)
    assert do_delete_orphaned_files(now=later) == 1
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [kept]
