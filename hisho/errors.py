"""Errors actions raise for things a client can get wrong.

Each carries `detail`, a message safe to show to the caller (no personal data). The
API turns them into problem+json (hisho/api.py); web views show `detail` to the user.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404


class NotFound(Http404):
    """An object that does not exist or that the caller may not see (same answer)."""

    def __init__(self, what: str = "Not found.") -> None:
        super().__init__(what)


class ClientError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Forbidden(ClientError, PermissionDenied):
    """The caller's role lacks a whole function (never used for single objects).

    Also Django's PermissionDenied, so web views answer 403 for it as the API does."""


class Conflict(ClientError):
    """The request does not fit the object's current state (e.g. a closed errand)."""


class InvalidInput(ClientError):
    """Input that passed the schema but not a rule the action knows about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Unavailable(ClientError):
    """A service Hisho hands the request to (the mail relay, the payment provider) could
    not take it just now. Not the caller's fault and worth a retry: 503 with Retry-After,
    on the API and on pages alike (hisho.outages). `detail` says what was kept."""


class MailUnavailable(Unavailable):
    """The mail relay could not be reached, or did not take a message."""
