"""Partners' endpoints of /api/v1/ (API.md "Partners"): the report catalogue, budget and
releases (partners), offers (partners submit, admins review, everyone signed in sees the
approved ones), the public ledger of releases and each customer's own releases. Routers
are mounted in hisho/api.py."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.accounts.principal import principal_of
from hisho.errors import NotFound
from hisho.idempotency.api import idempotent
from hisho.partners import access
from hisho.partners.actions import do_decide_offer, do_release_report, do_submit_offer
from hisho.partners.models import Offer, Release
from hisho.schemas import StrictIn, with_errors

partner_router = Router(tags=["partners"])
ledger_router = Router(tags=["partners"])
offers_router = Router(tags=["partners"])

AD_LABEL = {"en": "Ad", "ja": "広告"}


class ReportOut(Schema):
    name: str
    title: str
    description: str
    group_by: list[str]
    min_group_size: int
    max_contributions: int


class BudgetOut(Schema):
    epsilon_total: float
    epsilon_spent: float
    period: str


class ReleaseIn(StrictIn):
    epsilon: float | None = Field(default=None, strict=True, gt=0, le=1000)


class SignatureOut(Schema):
    alg: str
    key_id: str
    value: str


class ReleaseOut(Schema):
    id: uuid.UUID
    report: str
    released_at: dt.datetime
    epsilon: float
    delta: str
    rows: list[dict[str, str | int]]
    signature: SignatureOut
    # The signed document itself ({payload, signature}): verify it with the keys at
    # /.well-known/hisho-signing-keys.json.
    signed: dict[str, Any]


class LedgerOut(Schema):
    id: uuid.UUID
    report: str
    partner: str
    released_at: dt.datetime
    epsilon: float


class MyReleasesOut(Schema):
    releases: list[LedgerOut]
    epsilon_total: float
    # No release counts you once your total would pass this (null: no limit).
    epsilon_limit: float | None


class OfferIn(StrictIn):
    title: str = Field(strict=True)
    body: str = Field(strict=True)
    url: str = Field(strict=True)
    categories: list[str] = Field(default_factory=list, max_length=20)
    language: str = Field(strict=True)


class OfferCreatedOut(Schema):
    id: uuid.UUID
    status: str


class OfferOut(Schema):
    id: uuid.UUID
    label: str
    title: str
    body: str
    categories: list[str]
    language: str
    link: str
    rel: str


class PartnerOfferOut(Schema):
    id: uuid.UUID
    title: str
    status: str
    categories: list[str]
    language: str
    created_at: dt.datetime


REL = "sponsored noopener noreferrer"


def _language(request: HttpRequest) -> str:
    return "ja" if str(getattr(request, "LANGUAGE_CODE", "en"))[:2] == "ja" else "en"


def release_out(release: Release) -> ReleaseOut:
    payload = release.signed["payload"]
    return ReleaseOut(
        id=release.id,
        report=release.report,
        released_at=release.released_at,
        epsilon=float(release.epsilon),
        delta=payload["delta"],
        rows=payload["rows"],
        signature=SignatureOut(**release.signed["signature"]),
        signed=release.signed,
    )


def ledger_out(entry: access.LedgerEntry) -> LedgerOut:
    return LedgerOut(
        id=entry.id,
        report=entry.report,
        partner=entry.partner,
        released_at=entry.released_at,
        epsilon=float(entry.epsilon),
    )


def offer_out(offer: Offer, language: str) -> OfferOut:
    return OfferOut(
        id=offer.id,
        label=AD_LABEL[language],
        title=offer.title,
        body=offer.body,
        categories=list(offer.categories),
        language=offer.language,
        link=f"/go/{offer.id}",
        rel=REL,
    )


# --- partners -------------------------------------------------------------------------


@partner_router.get(
    "/reports", response=with_errors({200: list[ReportOut]}), summary="The report catalogue"
)
def list_reports(request: HttpRequest) -> list[ReportOut]:
    language = _language(request)
    return [
        ReportOut(
            name=r.key,
            title=r.title(language),
            description=r.description(language),
            group_by=list(r.group_by),
            min_group_size=r.min_group_size,
            max_contributions=r.max_contributions,
        )
        for r in access.report_catalogue(principal_of(request))
    ]


@partner_router.get(
    "/budget",
    response=with_errors({200: BudgetOut}),
    summary="This month's privacy budget (ε) and what was spent of it",
)
def get_budget(request: HttpRequest) -> BudgetOut:
    budget = access.partner_budget(principal_of(request))
    return BudgetOut(
        epsilon_total=float(budget.epsilon_total),
        epsilon_spent=float(budget.epsilon_spent),
        period=budget.period,
    )


def _replay_release(request: HttpRequest, resource_id: str, **_: Any) -> ReleaseOut:
    # A retried release is the same release: it spends the budget once.
    principal = principal_of(request)
    for release in access.partner_releases(principal):
        if str(release.pk) == resource_id:
            return release_out(release)
    raise NotFound("No such release.")


def _replay_offer(request: HttpRequest, resource_id: str, **_: Any) -> OfferCreatedOut:
    principal = principal_of(request)
    for offer in access.partner_offers(principal):
        if str(offer.pk) == resource_id:
            return OfferCreatedOut(id=offer.id, status=offer.status)
    raise NotFound("No such offer.")


@partner_router.post(
    "/reports/{name}/releases",
    response=with_errors({201: ReleaseOut}),
    summary="Release a report with differential privacy (409 beyond the month's budget)",
)
@idempotent(replay=_replay_release)
def create_release(request: HttpRequest, name: str, payload: ReleaseIn | None = None) -> Any:
    principal = principal_of(request)
    require_role(principal, Role.PARTNER, detail="Reports are for partners.")
    release = do_release_report(
        actor=principal.user, report=name, epsilon=payload.epsilon if payload else None
    )
    return Status(201, release_out(release))


@partner_router.get(
    "/releases", response=with_errors({200: list[ReleaseOut]}), summary="Your releases"
)
def list_releases(request: HttpRequest) -> list[ReleaseOut]:
    return [release_out(r) for r in access.partner_releases(principal_of(request))]


@partner_router.post(
    "/offers", response=with_errors({201: OfferCreatedOut}), summary="Submit an offer for review"
)
@idempotent(replay=_replay_offer)
def submit_offer(request: HttpRequest, payload: OfferIn) -> Any:
    principal = principal_of(request)
    require_role(principal, Role.PARTNER, detail="Offers are submitted by partners.")
    offer = do_submit_offer(
        actor=principal.user,
        title=payload.title,
        body=payload.body,
        url=payload.url,
        categories=payload.categories,
        language=payload.language,
    )
    return Status(201, OfferCreatedOut(id=offer.id, status=offer.status))


@partner_router.get(
    "/offers", response=with_errors({200: list[PartnerOfferOut]}), summary="Your offers"
)
def list_partner_offers(request: HttpRequest) -> list[PartnerOfferOut]:
    return [
        PartnerOfferOut(
            id=o.id,
            title=o.title,
            status=o.status,
            categories=list(o.categories),
            language=o.language,
            created_at=o.created_at,
        )
        for o in access.partner_offers(principal_of(request))
    ]


# --- the public ledger and each customer's releases -----------------------------------


@ledger_router.get(
    "/releases",
    auth=None,
    response=with_errors({200: list[LedgerOut]}),
    summary="The public ledger of releases: report, partner, time, ε (newest first, 500 "
    "at a time; `before` = the last id of a page gives the next)",
)
def public_ledger(request: HttpRequest, before: str | None = None) -> Any:
    return [ledger_out(e) for e in access.ledger(before=before)]


@ledger_router.get(
    "/me/releases",
    response=with_errors({200: MyReleasesOut}),
    summary="The releases your data was counted in, and the ε they cost in total",
)
def my_releases(request: HttpRequest) -> MyReleasesOut:
    mine = access.my_releases(principal_of(request))
    return MyReleasesOut(
        releases=[ledger_out(e) for e in mine.releases],
        epsilon_total=float(mine.epsilon_total),
        epsilon_limit=None if mine.epsilon_limit is None else float(mine.epsilon_limit),
    )


# --- offers ---------------------------------------------------------------------------


@offers_router.get(
    "", response=with_errors({200: list[OfferOut]}), summary="Approved offers (labelled as ads)"
)
def list_offers(request: HttpRequest) -> list[OfferOut]:
    language = _language(request)
    return [offer_out(o, language) for o in access.offers_for(principal_of(request))]


def _decide(request: HttpRequest, offer_id: str, *, approve: bool) -> OfferCreatedOut:
    principal = principal_of(request)
    offer = access.access_offer_for_review(principal, offer_id)
    user: User = principal.user
    offer = do_decide_offer(actor=user, offer=offer, approve=approve)
    return OfferCreatedOut(id=offer.id, status=offer.status)


@offers_router.post(
    "/{offer_id}/approve", response=with_errors({200: OfferCreatedOut}), summary="Approve"
)
def approve_offer(request: HttpRequest, offer_id: str) -> OfferCreatedOut:
    return _decide(request, offer_id, approve=True)


@offers_router.post(
    "/{offer_id}/reject", response=with_errors({200: OfferCreatedOut}), summary="Reject"
)
def reject_offer(request: HttpRequest, offer_id: str) -> OfferCreatedOut:
    return _decide(request, offer_id, approve=False)
