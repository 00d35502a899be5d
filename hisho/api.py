"""The JSON API at /api/v1/: assembled from each app's router (API.md is the contract)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from hisho.accounts.api import router as accounts_router
from hisho.accounts.security import ReauthenticationRequired
from hisho.accounts.social_api import router as connected_accounts_router
from hisho.attachments.api import router as attachments_router
from hisho.audit.api import router as audit_router
from hisho.auth import API_AUTH
from hisho.desk.api import categories_router, response_times_router
from hisho.desk.api import router as desk_router
from hisho.desk.tools.api import router as desk_tools_router
from hisho.errors import Conflict, Forbidden, InvalidInput, Unavailable
from hisho.idempotency.api import document as document_idempotency
from hisho.legal.api import router as legal_router
from hisho.notify.api import router as notify_router
from hisho.outages import unavailable_response
from hisho.outreach.api import me_router as outreach_me_router
from hisho.outreach.api import router as outreach_router
from hisho.partners.api import ledger_router, offers_router, partner_router
from hisho.payments.api import router as payments_router
from hisho.privacy.api import ERASE_ME_OPERATION, erase_me
from hisho.privacy.api import router as privacy_router
from hisho.problems import PROBLEM_CONTENT_TYPE, problem_response
from hisho.push.api import router as push_router
from hisho.redaction import carries_card, mask_cards_decoded
from hisho.search.api import router as search_router
from hisho.vault.api import router as vault_router

logger = logging.getLogger(__name__)

# Where ninja names a field by its place in the request; clients know it by name.
_LOCATION_PREFIXES = {"body", "payload", "query", "path", "header", "cookie", "form"}


class HishoAPI(NinjaAPI):
    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        # Kept on the request, so a decorator under an operation can add a header
        # (hisho.idempotency.api: Idempotent-Replayed).
        response: HttpResponse = super().create_temporal_response(request)
        request.hisho_response = response  # type: ignore[attr-defined]
        return response

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Document error responses as application/problem+json, which is what is sent,
        and the Idempotency-Key header of the creating POSTs."""
        schema = super().get_openapi_schema(**kwargs)
        document_idempotency(schema)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    if int(status) >= 400 and "content" in response:
                        content = response["content"]
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = HishoAPI(
    title="Hisho API",
    version="1.0.0",
    description="Errands, chat and privacy controls. Errors are RFC 9457 problem+json.",
    urls_namespace="api",
    auth=API_AUTH,
    docs_url="/docs",
)
# The whole API, in one place: every router and where it is mounted. Routers are plain
# values; importing an app's api module changes nothing.
# `DELETE /me` (erasure, the privacy center's) shares its path with `GET`/`PATCH /me`.
accounts_router.add_api_operation("/me", ["DELETE"], erase_me, **ERASE_ME_OPERATION)
api.add_router("/", accounts_router)
api.add_router("/", connected_accounts_router)  # sign-in providers (K2)
api.add_router("/errands", desk_router)
api.add_router("/errands", attachments_router)  # sealed files on errands (docs/attachments.md)
api.add_router("/", categories_router)
api.add_router("/", desk_tools_router)  # labels, canned replies, internal notes, ratings
api.add_router("/", response_times_router)  # response-time figures (admins)
api.add_router("/", vault_router)  # who saw my data
api.add_router("/legal", legal_router)
api.add_router("/", privacy_router)  # consents, export, policy notices (privacy center)
api.add_router("/outreach", outreach_router)  # newsletters and surveys (admins)
api.add_router("/", outreach_me_router)  # survey invitations of the caller
api.add_router("/", audit_router)  # the transparency log (public) and access-log proofs
api.add_router("/", payments_router)  # payment requests, checkout, refunds, receipts
api.add_router("/partner", partner_router)  # reports, budget, releases, offers (partners)
api.add_router("/", ledger_router)  # the public ledger of releases; /me/releases
api.add_router("/offers", offers_router)  # approved offers; review (admins)
api.add_router("/", notify_router)  # /me/notifications: e-mail and push preferences
api.add_router("/", push_router)  # Web Push: the VAPID key, the caller's subscriptions
api.add_router("/", search_router)  # private search in one's own errands (docs/search.md)


def _field_name(location: Any) -> str:
    parts = [str(part) for part in location]
    while parts and parts[0] in _LOCATION_PREFIXES:
        parts.pop(0)
    name = ".".join(parts) or "body"
    # A field name is the client's own text when it is an unknown key: a card typed as a
    # key is answered masked, like one typed as a value (POLICY K9).
    return mask_cards_decoded(name) if carries_card(name) else name


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(error.get("loc", ())), "message": str(error.get("msg", "Invalid."))}
        for error in exc.errors
    ]
    return problem_response(422, "The request has invalid fields.", errors=errors)


@api.exception_handler(InvalidInput)
def on_invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return problem_response(
        422,
        "The request has invalid fields.",
        errors=[{"field": exc.field, "message": exc.message}],
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(401, "Sign in first: send X-Session-Token or a session cookie.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    detail = str(exc) if exc.args and isinstance(exc.args[0], str) else "Not found."
    return problem_response(404, detail)


@api.exception_handler(Forbidden)
def on_forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return problem_response(403, exc.detail)


@api.exception_handler(Conflict)
def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return problem_response(409, exc.detail)


@api.exception_handler(Unavailable)
def on_unavailable(request: HttpRequest, exc: Unavailable) -> HttpResponse:
    return unavailable_response(request, exc)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(413, "The request body is too large.")


@api.exception_handler(TooManyFieldsSent)
def on_too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(400, "The request has too many fields.")


@api.exception_handler(TooManyFilesSent)
def on_too_many_files(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(400, "The request has too many files.")


# Any other request Django finds suspicious while reading it (the handlers above are
# more specific and win): a 400 as Django itself answers, never a 500.
@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(400, "Bad request.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code if 400 <= exc.status_code < 600 else 400
    return problem_response(status, str(exc))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug, not the client's fault. Log the type and where, not the request content.
    logger.error("unhandled API error %s", type(exc).__name__, exc_info=exc)
    return problem_response(500, "Something went wrong on our side.")


@api.exception_handler(ReauthenticationRequired)
def on_reauthentication_required(
    request: HttpRequest, exc: ReauthenticationRequired
) -> HttpResponse:
    return problem_response(401, exc.detail)
