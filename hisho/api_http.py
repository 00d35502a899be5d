"""HTTP semantics of /api/ that no single endpoint owns (API.md, "Errors and retries").

- `HEAD` works wherever `GET` does: the request runs as a GET and the body is dropped,
  so headers (status, Content-Type, Content-Length) are those the GET would send.
- `405 Method Not Allowed` (ninja answers it with an HTML body) becomes problem+json,
  keeping its `Allow` header — sorted, and with `HEAD` wherever `GET` is allowed.

Unknown paths under /api/ are problem+json 404s through hisho.urls.handler404.

`DeepJsonGuard`, on every path: a JSON body that nests arrays or objects more than
JSON_DEPTH_MAX deep is a 400 before any view parses it. Python's json module recurses once
per level, so a kilobyte of "[" is a RecursionError (a 500) in every parser that does not
catch it — allauth's headless views among them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from hisho.problems import PROBLEM_CONTENT_TYPE, problem_response
from hisho.textcheck import nests_deeper_than

API_PREFIX = "/api/"
# Deeper than any document Hisho or allauth accepts (their shapes nest three or four).
JSON_DEPTH_MAX = 64
ALLAUTH_PREFIX = "/_allauth/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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


# What an error answer says when the code that made it wrote no problem+json of its own.
_DETAILS = {
    400: "The request is malformed.",
    401: "Not signed in.",
    403: "Forbidden.",
    404: "No such endpoint.",
    413: "The request body is too large.",
}


class JsonErrorsForJsonClients:
    """Under /api/ and /_allauth/ every error answer is JSON: clients there parse every
    answer as JSON (API.md, "Errors"). allauth's own JSON errors and Hisho's problem+json
    pass through; an error whose body is HTML or empty — Django's CSRF page, a 404 or 400
    page, allauth's empty 400 for a body that is not JSON and empty 405, its provider
    error page — becomes problem+json of the same status, its headers (Allow,
    Retry-After, …) kept. Outermost but for SecurityMiddleware, so it sees the answers of
    every middleware inside it (CSRF's among them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or response.streaming
            or not request.path.startswith((API_PREFIX, ALLAUTH_PREFIX))
            or "json" in response.get("Content-Type", "")
        ):
            return response
        status = response.status_code
        detail = _DETAILS.get(status, HTTPStatus(status).phrase + ".")
        if status == 405:
            detail = f"This resource does not support {request.method}."
        problem = problem_response(status, detail)
        response.content = problem.content
        response["Content-Type"] = PROBLEM_CONTENT_TYPE
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(problem.content))
        if request.method == "HEAD":
            response.content = b""
        return response


class DeepJsonGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # allauth's headless views parse the body as JSON whatever its Content-Type says.
        parsed_as_json = "json" in (request.content_type or "") or request.path.startswith(
            ALLAUTH_PREFIX
        )
        if parsed_as_json and request.method in BODY_METHODS:
            try:
                text = request.body.decode("utf-8", errors="replace")
            except RequestDataTooBig:
                # Too large to read at all. The API's views answer 413 (after the
                # credential check: 401 first); allauth's let Django make it a 400.
                if request.path.startswith(ALLAUTH_PREFIX):
                    return problem_response(413, "The request body is too large.")
                return self.get_response(request)
            if nests_deeper_than(text, JSON_DEPTH_MAX):
                return problem_response(
                    400, f"The JSON body nests deeper than {JSON_DEPTH_MAX} levels."
                )
            if request.path.startswith(ALLAUTH_PREFIX) and _holds_a_lone_surrogate(text):
                # "\ud800" is valid JSON but no text: allauth hands a password holding it
                # to the Argon2 hasher, which cannot encode it (a 500 on sign-in, sign-up,
                # re-authentication and password change, for any visitor). Hisho's own
                # API refuses such strings field by field (hisho/textcheck.py).
                return problem_response(400, "The JSON body holds text that is not Unicode.")
        return self.get_response(request)


def _holds_a_lone_surrogate(text: str) -> bool:
    if "\\u" not in text:
        return False  # only an escape can write one (the body was decoded as UTF-8)
    try:
        parsed = json.loads(text)
    except ValueError:
        return False  # not JSON: the view's own answer says so
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
