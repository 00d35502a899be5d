"""`GET /.well-known/hisho-signing-keys.json`: the public signing keys, retired ones too."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from hisho.signing.service import published_keys


@require_safe
def signing_keys(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(published_keys())
    # Public by nature: any verifier, from any origin, may fetch and cache them briefly.
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
