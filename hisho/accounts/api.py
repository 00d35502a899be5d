"""`/api/v1/me` and role management (API.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from pydantic import AfterValidator, Field

from hisho.accounts.access import read_profile, require_role
from hisho.accounts.actions import do_set_role, do_update_profile
from hisho.accounts.models import Role, User
from hisho.errors import NotFound
from hisho.inbound import notice_for
from hisho.schemas import Integral, StrictIn, text, with_errors
from hisho.textcheck import ADDRESS_MAX, NAME_MAX, PHONE_MAX

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
    # Set when DLP removed card numbers from what the caller just sent (in their language).
    notice: str | None = None


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


class PersonOut(Schema):
    id: int
    email: str
    name: str
    role: str
    is_active: bool


class RoleIn(StrictIn):
    role: Literal["customer", "assistant", "admin", "partner"]


def _me(request: HttpRequest) -> MeOut:
    user: User = request.user  # type: ignore[assignment]
    return MeOut(**read_profile(user, user).__dict__)


@router.get("/me", response=with_errors({200: MeOut}), summary="Your own data")
def get_me(request: HttpRequest) -> MeOut:
    return _me(request)


@router.patch("/me", response=with_errors({200: MeOut}), summary="Change or clear optional fields")
def patch_me(request: HttpRequest, payload: MePatch) -> MeOut:
    user: User = request.user  # type: ignore[assignment]
    user = do_update_profile(actor=user, changes=payload.model_dump(exclude_unset=True))
    out = _me(request)
    out.notice = notice_for(
        user.cards_masked, language=user.language, fallback=request.LANGUAGE_CODE
    )
    return out


def _require_admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    require_role(user, Role.ADMIN, detail="Only admins can manage people.")
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
    response=with_errors({200: PersonOut}),
    tags=["admin"],
    summary="Grant or change a role",
)
def set_role(request: HttpRequest, person_id: int, payload: RoleIn) -> PersonOut:
    admin = _require_admin(request)
    person = User.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound("No such person.")
    person = do_set_role(actor=admin, user=person, role=payload.role)
    return PersonOut(
        id=person.pk,
        email=person.email,
        name=person.display_name,
        role=person.role,
        is_active=person.is_active,
    )
