"""`/api/v1/me` and role management (API.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, Field, WithJsonSchema

from hisho.accounts.access import read_profile, require_role
from hisho.accounts.actions import (
    do_approve_role_grant,
    do_reject_role_grant,
    do_request_role,
    do_update_profile,
)
from hisho.accounts.models import GrantStatus, Role, RoleGrant, User
from hisho.accounts.principal import principal_of
from hisho.errors import NotFound
from hisho.inbound import notice_for
from hisho.schemas import Integral, StrictIn, text, with_errors
from hisho.textcheck import ADDRESS_MAX, NAME_MAX, PHONE_MAX
from hisho.zones import is_known, known_zones

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    email: str
    role: str
    name: str | None
    phone: str | None
    mailing_address: str | None
    country: str | None
    language: str | None
    birth_year: int | None
    time_zone: str | None = Field(
        default=None,
        description="IANA time zone for times shown to you; null means Asia/Tokyo.",
    )
    approve_assignees: bool = Field(
        default=False,
        description="Ask me before a new assistant can read my errand (customers).",
    )
    # Set when DLP removed card numbers from what the caller just sent (in their language).
    notice: str | None = None


def _known_zone(value: str) -> str:
    if value and not is_known(value):
        raise ValueError("Not a known time zone (an IANA name, e.g. Asia/Tokyo).")
    return value


# Any IANA name zoneinfo knows, or "" (Asia/Tokyo); published as an enum.
TimeZoneName = Annotated[
    str,
    AfterValidator(_known_zone),
    WithJsonSchema({"type": "string", "enum": ["", *sorted(known_zones())]}),
]

BirthYear = Annotated[int, Field(ge=1900), Integral]


def _this_year(schema: dict[str, Any]) -> None:
    # Read when the document is generated: a long-running server moves on at New Year.
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "integer":
            option["maximum"] = timezone.now().year


def _up_to_this_year(value: int | None) -> int | None:
    if value is not None and value > timezone.now().year:
        raise ValueError("A year between 1900 and this year.")
    return value


class MePatch(StrictIn):
    # Content rules live in the action (one place for web and API); the schema publishes
    # them (hisho/schemas.py), and null or "" clears a field.
    name: str | None = text(NAME_MAX, default=None)
    phone: str | None = text(PHONE_MAX, default=None)
    mailing_address: str | None = text(ADDRESS_MAX, default=None)
    country: str | None = Field(default=None, pattern=r"^([A-Za-z]{2})?$")
    language: Literal["en", "ja", ""] | None = None
    birth_year: Annotated[BirthYear, AfterValidator(_up_to_this_year)] | None = Field(
        default=None, json_schema_extra=_this_year
    )
    time_zone: TimeZoneName | None = Field(
        default=None,
        description='An IANA time zone name (e.g. Asia/Tokyo); null or "" means Asia/Tokyo.',
    )
    approve_assignees: bool | None = Field(default=None, strict=True)


class PersonOut(Schema):
    id: int
    email: str
    name: str
    role: str
    is_active: bool


class RoleIn(StrictIn):
    role: Literal["customer", "assistant", "admin", "partner"]


class RoleGrantOut(Schema):
    id: uuid.UUID
    person_id: int
    role: str
    requested_by: int | None
    requested_at: dt.datetime
    status: Literal["pending", "approved", "rejected", "expired"]
    expires_at: dt.datetime
    decided_by: int | None = None
    decided_at: dt.datetime | None = None


class GrantParams(Schema):
    status: Literal["pending", "approved", "rejected", "expired"] | None = None


def grant_out(grant: RoleGrant) -> RoleGrantOut:
    return RoleGrantOut(
        id=grant.pk,
        person_id=grant.person_id,
        role=grant.role,
        requested_by=grant.requested_by_id,
        requested_at=grant.requested_at,
        status=grant.current_status(timezone.now()),  # type: ignore[arg-type]
        expires_at=grant.expires_at,
        decided_by=grant.decided_by_id,
        decided_at=grant.decided_at,
    )


def _me(request: HttpRequest) -> MeOut:
    principal = principal_of(request)
    user = principal.user
    return MeOut(**read_profile(principal, user).__dict__)


@router.get("/me", response=with_errors({200: MeOut}), summary="Your own data")
def get_me(request: HttpRequest) -> MeOut:
    return _me(request)


@router.patch("/me", response=with_errors({200: MeOut}), summary="Change or clear optional fields")
def patch_me(request: HttpRequest, payload: MePatch) -> MeOut:
    principal = principal_of(request)
    user = principal.user
    user = do_update_profile(actor=user, changes=payload.model_dump(exclude_unset=True))
    out = _me(request)
    out.notice = notice_for(
        user.cards_masked, language=user.language, fallback=request.LANGUAGE_CODE
    )
    return out


def _require_admin(request: HttpRequest) -> User:
    principal = principal_of(request)
    user = principal.user
    require_role(principal, Role.ADMIN, detail="Only admins can manage people.")
    return user


@router.get(
    "/people",
    response=with_errors({200: list[PersonOut]}),
    tags=["admin"],
    summary="Staff and partner accounts, or everyone with ?role=",
)
def list_people(request: HttpRequest, role: Role | None = None) -> list[PersonOut]:
    _require_admin(request)
    people = User.objects.order_by("id")
    people = people.filter(role=role) if role else people.exclude(role=Role.CUSTOMER)
    return [
        PersonOut(id=p.pk, email=p.email, name=p.display_name, role=p.role, is_active=p.is_active)
        for p in people[:500]
    ]


@router.put(
    "/people/{person_id}/role",
    response=with_errors({200: PersonOut, 202: RoleGrantOut}),
    tags=["admin"],
    summary="Take a role away at once (customer), or ask for one (a second admin approves)",
    description=(
        "`customer`: the role is removed now → 200 with the person. Any other role → 202 "
        "with a pending grant; nothing changes until a different admin approves it "
        "(POST /people/role-grants/{id}/approve) within 7 days."
    ),
)
def set_role(request: HttpRequest, person_id: int, payload: RoleIn) -> Status[Any]:
    admin = _require_admin(request)
    person = User.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound("No such person.")
    result = do_request_role(actor=admin, user=person, role=payload.role)
    if isinstance(result, RoleGrant):
        return Status(202, grant_out(result))
    return Status(
        200,
        PersonOut(
            id=result.pk,
            email=result.email,
            name=result.display_name,
            role=result.role,
            is_active=result.is_active,
        ),
    )


@router.get(
    "/people/role-grants",
    response=with_errors({200: list[RoleGrantOut]}),
    tags=["admin"],
    summary="Requests for staff and partner roles (?status=pending for those awaiting you)",
)
def list_role_grants(request: HttpRequest, params: Query[GrantParams]) -> list[RoleGrantOut]:
    _require_admin(request)
    now = timezone.now()
    grants = RoleGrant.objects.order_by("-requested_at")
    if params.status == "pending":
        grants = grants.filter(status=GrantStatus.PENDING, expires_at__gt=now)
    elif params.status == "expired":
        grants = grants.filter(status=GrantStatus.PENDING, expires_at__lte=now)
    elif params.status is not None:
        grants = grants.filter(status=params.status)
    return [grant_out(grant) for grant in grants[:500]]


@router.post(
    "/people/role-grants/{grant_id}/approve",
    response=with_errors({200: RoleGrantOut}),
    tags=["admin"],
    summary="Approve another admin's request: the role takes effect (not your own request)",
)
def approve_role_grant(request: HttpRequest, grant_id: uuid.UUID) -> RoleGrantOut:
    admin = _require_admin(request)
    return grant_out(do_approve_role_grant(actor=admin, grant_id=grant_id))


@router.post(
    "/people/role-grants/{grant_id}/reject",
    response=with_errors({200: RoleGrantOut}),
    tags=["admin"],
    summary="Reject (or, as its requester, withdraw) a pending role request",
)
def reject_role_grant(request: HttpRequest, grant_id: uuid.UUID) -> RoleGrantOut:
    admin = _require_admin(request)
    return grant_out(do_reject_role_grant(actor=admin, grant_id=grant_id))
