"""A missing or wrong master key stops the service at start-up with a clear message."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from hisho.demo import Demo
from hisho.vault.checks import keyring_problems
from hisho.vault.keyring import create_keyring_file, reset_master_keys

REPO = Path(__file__).resolve().parents[2]


def hisho(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the `hisho` command in a fresh process with its own var/ and database."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HISHO_", "DATABASE_URL", "DJANGO_"))
    }
    base.update(
        HISHO_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    )
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "hisho", *args],
        cwd=REPO,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_embedded_first_run_generates_a_private_keyring(tmp_path: Path) -> None:
    result = hisho(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    keyring = tmp_path / "var" / "master.keyring"
    assert keyring.stat().st_mode & 0o777 == 0o600
    document = json.loads(keyring.read_text())
    assert document["active"] == document["keys"][0]["id"]
    assert len(base64.b64decode(document["keys"][0]["key"])) == 32
    assert hisho(tmp_path, "check").returncode == 0
    assert json.loads(keyring.read_text()) == document  # kept, not regenerated


def test_production_requires_a_master_key_file(tmp_path: Path) -> None:
    production = {
        "HISHO_MODE": "production",
        "HISHO_SECRET_KEY": "x" * 64,
        "HISHO_ALLOWED_HOSTS": "hisho.example",
    }
    result = hisho(tmp_path, "check", **production)
    assert result.returncode != 0
    assert "Production needs HISHO_MASTER_KEY_FILE" in result.stderr
    missing = hisho(
        tmp_path, "check", HISHO_MASTER_KEY_FILE=str(tmp_path / "nowhere.keyring"), **production
    )
    assert missing.returncode != 0 and "does not exist" in missing.stderr
    assert not (tmp_path / "nowhere.keyring").exists()  # never generated in production
    # The documented way to make one, without Django (docs/operations.md).
    good = tmp_path / "master.keyring"
    made = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "hisho.vault.keyring", "create", str(good)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0 and good.stat().st_mode & 0o777 == 0o600
    assert hisho(tmp_path, "check", HISHO_MASTER_KEY_FILE=str(good), **production).returncode == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"format": "hisho-keyring/1", "active": "mk-1", "keys": []}', "holds no keys"),
        (
            '{"format": "hisho-keyring/1", "active": "mk-2", '
            '"keys": [{"id": "mk-1", "key": "' + base64.b64encode(b"k" * 32).decode() + '"}]}',
            "active key is not among its keys",
        ),
        (
            '{"format": "hisho-keyring/1", "active": "mk-1", '
            '"keys": [{"id": "mk-1", "key": "c2hvcnQ="}]}',
            "is not 32 bytes",
        ),
    ],
)
def test_an_unusable_keyring_stops_start_up(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.keyring"
    path.write_text(content)
    result = hisho(tmp_path, "check", HISHO_MASTER_KEY_FILE=str(path))
    assert result.returncode != 0 and message in result.stderr
    assert "c2hvcnQ" not in result.stderr and "a2tr" not in result.stderr  # no key material


def test_a_keyring_that_does_not_fit_the_database(demo: Demo, keyring: Path) -> None:
    assert keyring_problems() == []
    # Another install's keyring: the database's master key id is unknown to it.
    keyring.unlink()
    create_keyring_file(keyring)
    reset_master_keys()
    [problem] = keyring_problems()
    assert problem.id == "vault.E001" and "not in" in problem.msg
    with pytest.raises(SystemCheckError, match=r"vault\.E001"):
        call_command("check")
    # The right id but other key bytes (an edited or mixed-up file).
    document = json.loads(keyring.read_text())
    document["keys"][0]["id"] = document["active"] = demo_master_id()
    keyring.write_text(json.dumps(document))
    reset_master_keys()
    [problem] = keyring_problems()
    assert problem.id == "vault.E002"
    with pytest.raises(SystemCheckError, match=r"vault\.E002"):
        call_command("check")


def demo_master_id() -> str:
    from hisho.vault.models import CustomerKey

    ids = set(CustomerKey.objects.values_list("master_key_id", flat=True))
    assert len(ids) == 1
    return ids.pop()


def test_the_embedded_database_is_readable_by_the_service_alone(tmp_path: Path) -> None:
    # It holds e-mail addresses, IP addresses and browsers in the clear: no other local
    # user may read it, nor its write-ahead log — as for the keyring beside it.
    db = tmp_path / "db.sqlite3"
    result = hisho(tmp_path, "migrate", "--no-input", "-v", "0")
    assert result.returncode == 0, result.stderr
    files = [db, *(db.with_name(f"db.sqlite3-{s}") for s in ("wal", "shm"))]
    present = [f for f in files if f.exists()]
    assert db in present
    assert {f.name: oct(f.stat().st_mode & 0o777) for f in present} == {
        f.name: "0o600" for f in present
    }
    # A database made before this rule is made private when the service next opens it.
    db.chmod(0o644)
    assert hisho(tmp_path, "migrate", "--no-input", "-v", "0").returncode == 0
    assert db.stat().st_mode & 0o777 == 0o600
