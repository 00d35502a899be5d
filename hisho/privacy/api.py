"""Privacy endpoints of /api/v1/ (API.md): consents, export, erasure, policy notices.

`DELETE /api/v1/me` is registered on the accounts router: ninja serves one URL pattern
per path and router, so a second router's `/me` would shadow (or be shadowed by) the
accounts one. Its code lives here, with the rest of erasure.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.accounts.principal import principal_of
from hisho.accounts.security import require_recent_authentication
from hisho.errors import NotFound
from hisho.privacy.actions import (
    CONSENT_NOT_FOUND,
    do_acknowledge_policy,
    do_export_my_data,
    do_set_consent,
)
from hisho.privacy.actions.erasure import do_erase_account
from hisho.privacy.consents import (
    ConsentState,
    consent_states,
    latest_version,
    unacknowledged_version,
)
from hisho.privacy.models import AcknowledgedHow, ConsentHow
from hisho.schemas import Integral, StrictIn, with_errors

router = Router(tags=["privacy"])

# API.md names the newsletter consent in the singular (`/me/consents/newsletter`); the
# policy's purpose keys are plural. Both spellings reach the same purpose.
PURPOSE_ALIASES = {"newsletter": "newsletters", "survey": "surveys"}


class ConsentOut(Schema):
    purpose: str
    title: str
    description: str
    data_use: str
    granted: bool
    # When the answer that counts now was given (null: no answer yet, so not granted).
    answered_at: dt.datetime | None
    how: str | None
    policy_version: int | None
    # An earlier answer was for an older definition of the purpose: asked again.
    asks_again: bool
    # Granted, but counts only once the link e-mailed to the person is followed (double
    # opt-in; newsletters and surveys). `granted` stays false until then.
    pending_confirmation: bool


class ConsentIn(StrictIn):
    granted: bool = Field(strict=True)


class SignatureOut(Schema):
    alg: str
    key_id: str
    value: str


class SignedDocument(Schema):
    """`payload` signed with Ed25519 over its canonical JSON (docs/privacy.md)."""

    payload: dict[str, Any]
    signature: SignatureOut


class PolicyNoticeOut(Schema):
    version: int | None
    published_at: dt.datetime | None
    changes: str | None
    # False while the person still has to read a version published after they joined.
    acknowledged: bool
    renewed_purposes: list[str]


class AcknowledgeIn(StrictIn):
    version: Annotated[int, Field(ge=1, le=2**31 - 1), Integral]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def consent_out(state: ConsentState, language: str) -> ConsentOut:
    return ConsentOut(
        purpose=state.purpose.key,
        title=state.purpose.title(language),
        description=state.purpose.description(language),
        data_use=state.purpose.data_use,
        granted=state.granted,
        answered_at=state.answered_at,
        how=state.how,
        policy_version=state.policy_version,
        asks_again=state.asks_again,
        pending_confirmation=state.pending_confirmation,
    )


@router.get(
    "/me/consents",
    response=with_errors({200: list[ConsentOut]}),
    summary="Your answer for each purpose that needs consent (none is assumed)",
)
def list_consents(request: HttpRequest) -> list[ConsentOut]:
    return [consent_out(s, request.LANGUAGE_CODE) for s in consent_states(_user(request))]


@router.put(
    "/me/consents/{purpose}",
    response=with_errors({200: ConsentOut}),
    summary="Grant or withdraw consent for one purpose",
    description=(
        "Granting `newsletter` (`newsletters`) answers with `pending_confirmation: true` and "
        "`granted: false` until the person follows the signed link e-mailed to them (valid "
        "7 days): double opt-in."
    ),
)
def put_consent(request: HttpRequest, purpose: str, payload: ConsentIn) -> ConsentOut:
    user = _user(request)
    purpose = PURPOSE_ALIASES.get(purpose, purpose)
    do_set_consent(actor=user, purpose=purpose, granted=payload.granted, how=ConsentHow.API)
    for state in consent_states(user):
        if state.purpose.key == purpose:
            return consent_out(state, request.LANGUAGE_CODE)
    raise NotFound(CONSENT_NOT_FOUND)


@router.get(
    "/me/export",
    response=with_errors({200: SignedDocument}),
    summary="All your data as one signed JSON document",
    description="Needs a sign-in or re-authentication within the last five minutes.",
)
def export_me(request: HttpRequest) -> dict[str, Any]:
    require_recent_authentication(request)
    return do_export_my_data(principal=principal_of(request))


@router.get(
    "/me/policy",
    response=with_errors({200: PolicyNoticeOut}),
    summary="The privacy policy version in force, and whether you have read it",
)
def policy_notice(request: HttpRequest) -> PolicyNoticeOut:
    return _notice(request)


def _notice(request: HttpRequest) -> PolicyNoticeOut:
    latest = latest_version()
    pending = unacknowledged_version(_user(request))
    return PolicyNoticeOut(
        version=latest.number if latest else None,
        published_at=latest.published_at if latest else None,
        changes=latest.changes(request.LANGUAGE_CODE) if latest else None,
        acknowledged=pending is None,
        renewed_purposes=list(latest.renewed_purposes) if latest else [],
    )


@router.post(
    "/me/policy/acknowledge",
    response=with_errors({200: PolicyNoticeOut}),
    summary="Record that you have read the policy version in force",
)
def acknowledge_policy(request: HttpRequest, payload: AcknowledgeIn) -> PolicyNoticeOut:
    do_acknowledge_policy(actor=_user(request), number=payload.version, how=AcknowledgedHow.API)
    return _notice(request)


# `DELETE /me` shares its path with the accounts router's `GET`/`PATCH /me`, so hisho/api.py
# adds it to that router when it assembles the API (no import side effects here).
ERASE_ME_OPERATION: dict[str, Any] = {
    "response": with_errors({200: SignedDocument}),
    "summary": "Erase your account now (customers); re-authenticate first",
    "description": (
        "Needs a sign-in or re-authentication within the last five minutes "
        "(`POST /_allauth/app/v1/auth/reauthenticate`, then use the token it returns); "
        "otherwise 401. Returns the signed erasure receipt; every token of the account dies."
    ),
}


def erase_me(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    require_role(
        user,
        Role.CUSTOMER,
        detail="Only customers can erase their own account; staff accounts are closed by an admin.",
    )
    require_recent_authentication(request)
    return do_erase_account(actor=user)
