"""`make scaled` as an operator configures it (found by a probe: every HISHO_* variable
was dropped, so the shape could not be told its public address, its hosts or its trusted
origins, and its e-mails linked to a port nothing served). No process is started here."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.scaled import ScaledShape, public_url


def test_the_operators_settings_reach_every_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HISHO_PUBLIC_URL", "https://hisho.example:8443")
    monkeypatch.setenv("HISHO_CSRF_TRUSTED_ORIGINS", "https://hisho.example:8443")
    monkeypatch.setenv("HISHO_LOG_LEVEL", "INFO")
    monkeypatch.setenv("HISHO_VAR_DIR", "/somewhere/else")
    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere/other")
    env = ScaledShape(
        database="hisho_scaled", redis_db=4, var_dir=tmp_path, inherit_settings=True
    ).env()
    assert env["HISHO_PUBLIC_URL"] == "https://hisho.example:8443"
    assert env["HISHO_CSRF_TRUSTED_ORIGINS"] == "https://hisho.example:8443"
    assert env["HISHO_LOG_LEVEL"] == "INFO"
    # What the shape itself shares stays its own: one database, one Redis, one key folder.
    assert env["HISHO_VAR_DIR"] == str(tmp_path)
    assert env["DATABASE_URL"].endswith("/hisho_scaled")
    assert env["REDIS_URL"].endswith("/4")


def test_tests_and_benches_start_from_no_settings_whatever_the_shell_holds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HISHO_MODE", "production")
    env = ScaledShape(database="hisho_scaled_test", redis_db=3, var_dir=tmp_path).env()
    assert "HISHO_MODE" not in env
    assert env["HISHO_LOG_LEVEL"] == "WARNING"


def test_links_in_emails_point_where_the_shape_answers() -> None:
    assert public_url({}, 18100) == "http://127.0.0.1:18100"
    assert public_url({"HISHO_PUBLIC_URL": "https://hisho.example"}, 18100) == (
        "https://hisho.example"
    )
