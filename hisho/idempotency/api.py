"""The `Idempotency-Key` header on creating POSTs: `@idempotent(replay=…)` under a
ninja operation decorator (see hisho/idempotency/__init__.py for the semantics).

    @router.post("", response=with_errors({201: ErrandOut}))
    @idempotent(replay=replay_errand)
    def create_errand(request, payload: ErrandIn) -> Status: ...

`replay(request, resource_id, **kwargs)` re-renders the first answer from the created
object (through the usual access checks), given the view's own keyword arguments.
The header is published in the OpenAPI document (hisho.api.HishoAPI).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import Status
from ninja.errors import HttpError

from hisho.idempotency.actions import (
    HEADER,
    do_claim_idempotency_key,
    do_complete_idempotency_key,
    do_release_idempotency_key,
    request_fingerprint,
)

REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x20-\x7e]{1,255}$"
_KEY = re.compile(r"[\x20-\x7e]{1,255}")

# ninja operation ids of the idempotent operations (for the OpenAPI document).
OPERATION_IDS: set[str] = set()

Replay = Callable[..., Any]


def operation_id(view: Callable[..., Any]) -> str:
    # ninja's default (NinjaAPI.get_openapi_operation_id).
    return f"{view.__module__}_{view.__name__}".replace(".", "_")


def _resolved_signature(view: Callable[..., Any]) -> inspect.Signature:
    # The wrapper lives in this module; ninja resolves string annotations against the
    # function's globals, so it gets the view's signature with its types resolved.
    hints = typing.get_type_hints(view, include_extras=True)
    signature = inspect.signature(view)
    return signature.replace(
        parameters=[
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values()
        ],
        return_annotation=hints.get("return", signature.return_annotation),
    )


def _body_of(request: HttpRequest) -> bytes:
    """What the fingerprint covers. A JSON body as sent. A multipart body (a file upload)
    is read by Django as it streams in, and its boundary differs on every retry, so it is
    its parts instead: each field's value, and each file's field, name, size and SHA-256 —
    the same file sent again is the same request, another file is another one."""
    if request.content_type != "multipart/form-data":
        return request.body
    try:
        fields, files = request.POST, request.FILES
    except MultiPartParserError:
        raise HttpError(400, "The multipart body cannot be read.") from None
    digest = hashlib.sha256()
    for field, values in sorted(fields.lists()):
        for value in values:
            digest.update(b"field\0" + field.encode() + b"\0" + value.encode() + b"\0")
    for field, uploads in sorted(files.lists()):
        for upload in uploads:
            content = hashlib.sha256()
            upload.seek(0)
            for chunk in upload.chunks():
                content.update(chunk)
            upload.seek(0)
            name = (upload.name or "").encode()
            digest.update(b"file\0" + field.encode() + b"\0" + name + b"\0")
            digest.update(str(upload.size).encode() + b"\0" + content.digest())
    return b"multipart:" + digest.digest()


def _answer(result: Any) -> tuple[int, Any]:
    if isinstance(result, Status):
        return result.status_code, result.value
    return 200, result


def idempotent(*, replay: Replay) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(request, **kwargs)
            if not _KEY.fullmatch(key):
                raise HttpError(400, f"{HEADER} must be 1–255 printable ASCII characters.")
            claim = do_claim_idempotency_key(
                actor=request.user,  # type: ignore[arg-type]
                key=key,
                fingerprint=request_fingerprint(
                    request.method or "", request.get_full_path(), _body_of(request)
                ),
            )
            if claim.answered is not None:
                status, resource_id = claim.answered
                response = getattr(request, "hisho_response", None)
                if response is not None:
                    response[REPLAYED_HEADER] = "true"
                return Status(status, _answer(replay(request, resource_id, **kwargs))[1])
            try:
                with transaction.atomic():
                    result = view(request, **kwargs)
                    status, value = _answer(result)
                    created = 200 <= status < 300 and getattr(value, "id", None) is not None
                    if created:
                        do_complete_idempotency_key(
                            claim=claim, status_code=status, resource_id=str(value.id)
                        )
            except BaseException:
                do_release_idempotency_key(claim=claim)
                raise
            if not created:  # an answer that created nothing: nothing to replay
                do_release_idempotency_key(claim=claim)
            return result

        wrapper.__signature__ = _resolved_signature(view)  # type: ignore[attr-defined]
        OPERATION_IDS.add(operation_id(view))
        return wrapper

    return decorate


def document(schema: dict[str, Any]) -> None:
    """Publish the optional header (and the replay marker) on the idempotent operations
    of an OpenAPI document."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": "Retry safely: the same key and body within 24 h replay the first "
        "answer; another body with the same key is 422, a retry while the first is still "
        "running 409.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    }
    replayed = {
        REPLAYED_HEADER: {
            "description": "`true` when this is the first answer, replayed.",
            "schema": {"type": "string", "enum": ["true"]},
        }
    }
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if operation.get("operationId") not in OPERATION_IDS:
                continue
            operation.setdefault("parameters", []).append(parameter)
            for status, response in operation.get("responses", {}).items():
                if 200 <= int(status) < 300:
                    response.setdefault("headers", {}).update(replayed)
