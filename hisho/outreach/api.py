"""Outreach endpoints of /api/v1/ (API.md, "Outreach"): campaigns for admins, survey
invitations for the invited person. Thin: parse → principal → access → action."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from hisho.accounts.principal import principal_of
from hisho.idempotency.api import idempotent
from hisho.outreach.access import (
    access_campaign,
    access_invitation,
    campaign_counts,
    campaigns_for,
    invitations_for,
)
from hisho.outreach.actions import do_answer_survey, do_create_campaign, do_start_campaign
from hisho.outreach.models import Campaign
from hisho.outreach.questions import QUESTIONS_MAX, TEXT_MAX
from hisho.outreach.results import MIN_GROUP, results
from hisho.schemas import Integral, StrictIn, text, with_errors

router = Router(tags=["outreach"])
me_router = Router(tags=["outreach"])


class Bilingual(StrictIn):
    en: str = Field(max_length=20_000)
    ja: str = Field(max_length=20_000)


class CampaignIn(StrictIn):
    kind: Literal["newsletter", "survey"]
    subject: Bilingual
    body: Bilingual
    # Survey questions (hisho/outreach/questions.py): choice, scale or text.
    questions: list[dict[str, Any]] | None = Field(default=None, max_length=QUESTIONS_MAX)


class CountsOut(Schema):
    pending: int
    handing_over: int
    sent: int
    skipped: int
    failed: int
    unconfirmed: int


class CampaignOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    subject: dict[str, str]
    questions: list[dict[str, Any]]
    created_at: dt.datetime
    send_started_at: dt.datetime | None
    finished_at: dt.datetime | None
    recipients: int
    counts: CountsOut


class SendOut(Schema):
    id: uuid.UUID
    status: str
    recipients: int


class CellOut(Schema):
    key: int
    # null: fewer than `min_group` people — suppressed.
    count: int | None


class QuestionResultOut(Schema):
    question: int
    kind: str
    text: dict[str, str]
    answers: int
    suppressed: bool
    cells: list[CellOut]
    mean: float | None
    texts: list[str]


class ResultsOut(Schema):
    id: uuid.UUID
    min_group: int
    questions: list[QuestionResultOut]


class InvitationOut(Schema):
    id: uuid.UUID
    subject: str
    questions: list[dict[str, Any]]
    answered: bool


class AnswerIn(StrictIn):
    # Integers as JSON has them (2.0 is 2); text checked as every free text is (the
    # action's rules, published: hisho/schemas.py).
    question: Annotated[int, Field(ge=0, lt=QUESTIONS_MAX), Integral]
    choice: Annotated[int, Field(ge=0, le=1000), Integral] | None = None
    value: Annotated[int, Field(ge=-1000, le=1000), Integral] | None = None
    text: str | None = text(TEXT_MAX, default=None)


class AnswersIn(StrictIn):
    answers: list[AnswerIn] = Field(min_length=1, max_length=QUESTIONS_MAX)


class AnsweredOut(Schema):
    id: uuid.UUID
    answered: bool
    answers: int


def campaign_out(campaign: Campaign) -> CampaignOut:
    counts = campaign_counts(campaign)
    return CampaignOut(
        id=campaign.pk,
        kind=campaign.kind,
        status=campaign.status,
        subject={"en": campaign.subject_en, "ja": campaign.subject_ja},
        questions=campaign.questions,
        created_at=campaign.created_at,
        send_started_at=campaign.send_started_at,
        finished_at=campaign.finished_at,
        recipients=sum(counts.values()),
        counts=CountsOut(**counts),
    )


def _replay_campaign(request: HttpRequest, resource_id: str, **_: Any) -> CampaignOut:
    return campaign_out(access_campaign(principal_of(request), resource_id))


@router.post(
    "/campaigns",
    response=with_errors({201: CampaignOut}),
    summary="Write a newsletter or survey (admins): a draft",
)
@idempotent(replay=_replay_campaign)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[CampaignOut]:
    campaign = do_create_campaign(
        actor=principal_of(request),
        kind=payload.kind,
        subject=payload.subject.model_dump(),
        body=payload.body.model_dump(),
        questions=payload.questions,
    )
    return Status(201, campaign_out(campaign))


@router.get(
    "/campaigns", response=with_errors({200: list[CampaignOut]}), summary="Campaigns (admins)"
)
def list_campaigns(request: HttpRequest) -> list[CampaignOut]:
    return [campaign_out(c) for c in campaigns_for(principal_of(request))[:100]]


@router.get(
    "/campaigns/{campaign_id}",
    response=with_errors({200: CampaignOut}),
    summary="A campaign: status and counts (admins)",
)
def get_campaign(request: HttpRequest, campaign_id: str) -> CampaignOut:
    return campaign_out(access_campaign(principal_of(request), campaign_id))


@router.post(
    "/campaigns/{campaign_id}/send",
    response=with_errors({202: SendOut}),
    summary="Send a campaign in the background (admins); again to resume a stopped send",
)
def send_campaign(request: HttpRequest, campaign_id: str) -> Status[SendOut]:
    principal = principal_of(request)
    campaign = do_start_campaign(actor=principal, campaign=access_campaign(principal, campaign_id))
    return Status(
        202,
        SendOut(id=campaign.pk, status=campaign.status, recipients=campaign.deliveries.count()),
    )


@router.get(
    "/campaigns/{campaign_id}/results",
    response=with_errors({200: ResultsOut}),
    summary="A survey's results: aggregates, small groups suppressed (admins)",
)
def campaign_results(request: HttpRequest, campaign_id: str) -> ResultsOut:
    campaign = access_campaign(principal_of(request), campaign_id)
    return ResultsOut(
        id=campaign.pk,
        min_group=MIN_GROUP,
        questions=[QuestionResultOut(**r) for r in results(campaign)],
    )


def invitation_out(request: HttpRequest, delivery: Any) -> InvitationOut:
    return InvitationOut(
        id=delivery.pk,
        subject=delivery.campaign.subject(request.LANGUAGE_CODE),
        questions=delivery.campaign.questions,
        answered=delivery.answered,
    )


@me_router.get(
    "/me/survey-invitations",
    response=with_errors({200: list[InvitationOut]}),
    summary="Surveys you were invited to",
)
def list_invitations(request: HttpRequest) -> list[InvitationOut]:
    return [invitation_out(request, d) for d in invitations_for(principal_of(request))[:100]]


@me_router.post(
    "/me/survey-invitations/{invitation_id}/answers",
    response=with_errors({200: AnsweredOut}),
    summary="Answer a survey you were invited to (once)",
)
def answer_invitation(request: HttpRequest, invitation_id: str, payload: AnswersIn) -> AnsweredOut:
    principal = principal_of(request)
    delivery = access_invitation(principal, invitation_id)
    answers = [a.model_dump(exclude_none=True) for a in payload.answers]
    count = do_answer_survey(actor=principal, delivery=delivery, answers=answers)
    return AnsweredOut(id=delivery.pk, answered=True, answers=count)
