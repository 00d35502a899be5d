"""The API documentation at /api/v1/docs (issue 14): django-ninja's packaged Swagger UI,
served by Hisho itself under the site's CSP — nothing from a CDN — renders every
operation in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_docs_render_the_operations_under_the_csp(browser: Any, site: str) -> None:
    page = browser.new_context().new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    response = page.goto(f"{site}/api/v1/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    text = " ".join(path.replace("\u200b", "") for path in paths)
    for path in ("/api/v1/errands", "/api/v1/errands/{errand_id}/messages", "/api/v1/me"):
        assert path in text, text
    assert page.locator(".opblock-post").count() >= 3
    assert all(url.startswith(site) for url in requested), requested
    assert not problems, problems
