"""What an operator types wrong gets one line and a non-zero exit, never a traceback, a
half-done change or a hang (found by a probe of every command). The `hisho` command is
run as a process, as an operator runs it, on a database of its own under tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def hisho(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HISHO_", "DJANGO_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    clean.update(HISHO_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT), **env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "hisho", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str], code: int, says: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr[-800:])
    assert "Traceback" not in result.stderr, result.stderr[-800:]
    assert says in result.stderr, result.stderr[-800:]


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"HISHO_MASTER_KEY_FILE": "{empty}"}, "The master keyring"),
        ({"HISHO_MASTER_KEY_FILE": "{dir}"}, "The master keyring"),
        ({"HISHO_DEBUG": "ture"}, "HISHO_DEBUG must be"),
        ({"HISHO_SESSION_SECONDS": "abc"}, "HISHO_SESSION_SECONDS"),
        ({"HISHO_MODE": "production"}, "hisho: "),  # its secrets missing
    ],
)
def test_a_setting_or_keyring_gone_wrong_is_one_line(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "dir").mkdir()
    env = {k: v.format(empty=tmp_path / "empty", dir=tmp_path / "dir") for k, v in env.items()}
    one_line(hisho(tmp_path, "check", **env), 1, says)


def test_a_database_not_migrated_is_one_line_and_a_rotation_changes_no_key(
    tmp_path: Path,
) -> None:
    one_line(hisho(tmp_path, "audit-verify"), 1, "the database is not ready")
    keyring = tmp_path / "var" / "master.keyring"
    before = keyring.read_bytes()
    one_line(hisho(tmp_path, "rotate-keys"), 1, "Run `hisho migrate`")
    assert keyring.read_bytes() == before, "no new master key for a rotation that failed"


@pytest.mark.parametrize(("command", "code"), [("audit-verify-proof", 1), ("verify-export", 2)])
def test_a_file_that_never_ends_is_refused_at_once(tmp_path: Path, command: str, code: int) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        result = hisho(tmp_path, command, path)
        assert result.returncode in (code, 1, 2) and "Traceback" not in result.stderr
        assert "regular file" in result.stderr or "not a readable" in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "abc"])
def test_the_sequencer_interval_must_be_a_sane_number_of_seconds(
    tmp_path: Path, value: str
) -> None:
    one_line(hisho(tmp_path, "audit-sequencer", "--interval", value), 2, "--interval")
    one_line(hisho(tmp_path, "worker", "--audit-interval", value), 2, "--audit-interval")
