"""The log's public answers may be fetched from any page (a verifier running in a
browser): the checkpoint and both proofs carry `Access-Control-Allow-Origin: *` — their
errors too (a size beyond the latest head is a 404 the verifier must be able to read, not
an opaque CORS failure it cannot tell from an outage). A middleware, because a 422 from the
query's schema or a 404 from the view never reaches the view's own return."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hisho.audit.api import get_checkpoint, get_consistency_proof, get_inclusion_proof

PUBLIC_VIEWS = frozenset(
    f"api:{view.__name__}" for view in (get_checkpoint, get_inclusion_proof, get_consistency_proof)
)


class PublicLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None and match.view_name in PUBLIC_VIEWS:
            response["Access-Control-Allow-Origin"] = "*"
        return response
