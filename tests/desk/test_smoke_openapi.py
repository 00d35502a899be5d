from __future__ import annotations

from typing import Any


def test_openapi_validation_runs(api_as: Any) -> None:
    alice = api_as("alice")
    assert alice.get("/me").status_code == 200
    assert alice.get("/errands").status_code == 200
    assert alice.get("/errands/not-a-uuid").status_code == 404
