"""`/api/v1/legal/cases`: legal disclosure cases, for admins (others: 403)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from hisho.accounts.models import User
from hisho.accounts.principal import principal_of
from hisho.idempotency.api import idempotent
from hisho.legal.access import access_case, cases_for
from hisho.legal.actions import (
    AUTHORITY_MAX,
    LEGAL_BASIS_MAX,
    REASON_MAX,
    REFERENCE_MAX,
    do_approve_case,
    do_defer_notice,
    do_export_case,
    do_open_case,
    do_reject_case,
)
from hisho.legal.models import DisclosureCase, DisclosureGrant
from hisho.schemas import JsonId, StrictIn, text, with_errors

router = Router(tags=["legal"])


class CaseIn(StrictIn):
    authority: str = text(AUTHORITY_MAX, required=True)
    legal_basis: str = text(LEGAL_BASIS_MAX, required=True)
    reference: str = text(REFERENCE_MAX, required=True)
    person_id: JsonId
    categories: list[Literal["profile", "errands", "messages"]] = Field(min_length=1, max_length=3)
    period_start: dt.date
    period_end: dt.date
    deadline: dt.date


class ReasonIn(StrictIn):
    reason: str = text(REASON_MAX, required=True)


class DeferIn(StrictIn):
    until: dt.datetime
    reason: str = text(REASON_MAX, required=True)


class CaseOut(Schema):
    id: uuid.UUID
    status: str
    authority: str
    legal_basis: str
    reference: str
    deadline: dt.date
    person_id: int | None
    categories: list[str]
    period_start: dt.date
    period_end: dt.date
    opened_by_id: int | None
    opened_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    rejection_reason: str
    grant_expires_at: dt.datetime | None
    exported_at: dt.datetime | None
    export_count: int
    bundle_sha256: str
    notify_after: dt.datetime | None
    deferral_reason: str
    notified_at: dt.datetime | None


class SignatureOut(Schema):
    alg: Literal["Ed25519"]
    key_id: str
    value: str


class SignedBundleOut(Schema):
    payload: dict[str, Any]
    signature: SignatureOut


class ListParams(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def case_out(case: DisclosureCase) -> CaseOut:
    grant = DisclosureGrant.objects.filter(case=case).first()
    return CaseOut(
        id=case.pk,
        status=case.status,
        authority=case.authority,
        legal_basis=case.legal_basis,
        reference=case.reference,
        deadline=case.deadline,
        person_id=case.person_id,
        categories=list(case.categories),
        period_start=case.period_start,
        period_end=case.period_end,
        opened_by_id=case.opened_by_id,
        opened_at=case.opened_at,
        decided_by_id=case.decided_by_id,
        decided_at=case.decided_at,
        rejection_reason=case.rejection_reason,
        grant_expires_at=grant.expires_at if grant else None,
        exported_at=case.exported_at,
        export_count=case.export_count,
        bundle_sha256=case.bundle_sha256,
        notify_after=case.notify_after,
        deferral_reason=case.deferral_reason,
        notified_at=case.notified_at,
    )


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.get("/cases", response=with_errors({200: list[CaseOut]}), summary="Disclosure cases")
def list_cases(request: HttpRequest, params: Query[ListParams]) -> list[CaseOut]:
    cases = cases_for(_user(request))[params.offset : params.offset + params.limit]
    return [case_out(case) for case in cases]


def _replay_case(request: HttpRequest, resource_id: str, **_: Any) -> CaseOut:
    return case_out(access_case(_user(request), resource_id))


@router.post(
    "/cases", response=with_errors({201: CaseOut}), summary="Open a disclosure case (admins)"
)
@idempotent(replay=_replay_case)
def open_case(request: HttpRequest, payload: CaseIn) -> Status[Any]:
    case = do_open_case(actor=_user(request), **payload.dict())
    return Status(201, case_out(case))


@router.get("/cases/{case_id}", response=with_errors({200: CaseOut}), summary="One case")
def get_case(request: HttpRequest, case_id: str) -> CaseOut:
    return case_out(access_case(_user(request), case_id))


@router.post(
    "/cases/{case_id}/approve",
    response=with_errors({200: CaseOut}),
    summary="Approve (a second admin, not the opener); issues the time-limited grant",
)
def approve_case(request: HttpRequest, case_id: str) -> CaseOut:
    case = access_case(_user(request), case_id)
    return case_out(do_approve_case(actor=_user(request), case=case))


@router.post(
    "/cases/{case_id}/reject", response=with_errors({200: CaseOut}), summary="Reject, with a reason"
)
def reject_case(request: HttpRequest, case_id: str, payload: ReasonIn) -> CaseOut:
    case = access_case(_user(request), case_id)
    return case_out(do_reject_case(actor=_user(request), case=case, reason=payload.reason))


@router.post(
    "/cases/{case_id}/defer-notice",
    response=with_errors({200: CaseOut}),
    summary="Record a documented deferral of the person's notice, with its expiry",
)
def defer_notice(request: HttpRequest, case_id: str, payload: DeferIn) -> CaseOut:
    case = access_case(_user(request), case_id)
    return case_out(
        do_defer_notice(actor=_user(request), case=case, until=payload.until, reason=payload.reason)
    )


@router.post(
    "/cases/{case_id}/export",
    response=with_errors({200: SignedBundleOut}),
    summary="The signed bundle of exactly the scoped data (approved cases, their two admins)",
)
def export_case(request: HttpRequest, case_id: str) -> dict[str, Any]:
    case = access_case(_user(request), case_id)
    return do_export_case(principal=principal_of(request), case=case)
