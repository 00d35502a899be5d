"""HTTP semantics of /api/ that no single endpoint owns (API.md, "Errors and retries").

- `HEAD` works wherever `GET` does: the request runs as a GET and the body is dropped,
  so headers (status, Content-Type, Content-Length) are those the GET would send.
- `405 Method Not Allowed` (ninja answers it with an HTML body) becomes problem+json,
  keeping its `Allow` header — sorted, and with `HEAD` wherever `GET` is allowed.

Unknown paths under /api/ are problem+json 404s through hisho.urls.handler404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hisho.problems import PROBLEM_CONTENT_TYPE, problem_response

API_PREFIX = "/api/"


def _allow(header: str) -> str:
    methods = {m.strip().upper() for m in header.split(",") if m.strip()}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


class ApiHttpMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
            try:
                response = self.get_response(request)
            finally:
                request.method = "HEAD"
        else:
            response = self.get_response(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            PROBLEM_CONTENT_TYPE
        ):
            allow = _allow(response.get("Allow", ""))
            response = problem_response(
                405, f"This resource does not support {request.method}. Allowed: {allow}."
            )
            response["Allow"] = allow
        if head and not response.streaming:
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
