"""The content of a disclosure bundle: the case's scope, as far as the privacy policy lets
Hisho give it to authorities, unsealed through the vault by a `DisclosureReader` (so every
read is policy-checked and access-logged).

    {"type": "hisho.legal.disclosure", "v": 1,
     "case": {id, reference, authority, legal_basis, deadline, opened_at, approved_at,
              opened_by_id, approved_by_id},
     "scope": {person_id, categories, period: {start, end, time_zone},
               data_kinds: [...], withheld_kinds: [...]},
     "generated_at": …, "produced_by_id": …,
     "data": {"profile": {…}, "errands": […], "messages": […]}}   # only scoped categories

Errands are those the person created within the period; messages are those written
within the period in any of the person's errands. Staff appear by role, never by name.

Each field is one of policy.yaml's data kinds. Only kinds policy.yaml declares for the
`authorities` recipient (purpose `legal_obligations`) are read and put in the bundle; a
field of an undeclared kind is neither unsealed nor exported, and its kind is listed in
`withheld_kinds` (POLICY K5: data leaves only as declared).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from hisho.accounts.access import SEALED_PROFILE_FIELDS, profile_place
from hisho.accounts.models import User
from hisho.desk.content import errand_place, errand_scope, message_place
from hisho.desk.models import Errand, Message
from hisho.errors import Conflict
from hisho.legal.grants import DisclosureReader
from hisho.legal.models import Category, DisclosureCase
from hisho.vault.models import AccessAction
from hisho.vault.sealing import Place, Scope, unseal

BUNDLE_TYPE = "hisho.legal.disclosure"
RECIPIENT = "authorities"
PURPOSE = "legal_obligations"

# Each exported field and its policy.yaml data kind.
PROFILE_KINDS = {
    "email": "email",
    "name": "name",
    "phone": "phone",
    "mailing_address": "mailing_address",
    "country": "country",
    "language": "language",
    "birth_year": "birth_year",
    "joined_at": "account",
}
ERRAND_KINDS = {
    "title": "errand_content",
    "details": "errand_content",
    "note": "errand_content",
    "phone": "errand_phone",
    "address": "errand_address",
}
MESSAGE_KIND = "errand_content"


def declared_kinds() -> frozenset[str]:
    """The data kinds policy.yaml lets Hisho give to authorities for legal obligations."""
    from hisho.privacy.recipients import UndeclaredRecipient, recipient

    try:
        declaration = recipient(RECIPIENT).declaration
    except UndeclaredRecipient:
        raise Conflict("policy.yaml declares no recipient for legal disclosures.") from None
    if PURPOSE not in declaration.purposes:
        return frozenset()
    return frozenset(declaration.receives)


@dataclass
class Kinds:
    allowed: frozenset[str]
    used: set[str] = field(default_factory=set)
    withheld: set[str] = field(default_factory=set)

    def take(self, kind: str) -> bool:
        if kind in self.allowed:
            self.used.add(kind)
            return True
        self.withheld.add(kind)
        return False


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


# The days a case's period may start and end on (do_open_case refuses others): the day
# after 9999-12-31 does not exist, and midnight of 0001-01-01 east of UTC is before the
# first moment UTC can hold. One day in from each end is a UTC moment in every time zone.
FIRST_DAY = dt.date.min + dt.timedelta(days=1)
LAST_DAY = dt.date.max - dt.timedelta(days=1)


def _midnight(day: dt.date, *, otherwise: dt.datetime) -> dt.datetime:
    """The start of `day` in TIME_ZONE, as a UTC moment; `otherwise` when it has none."""
    try:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min)).astimezone(dt.UTC)
    except OverflowError:
        return otherwise


def period_bounds(case: DisclosureCase) -> tuple[dt.datetime, dt.datetime]:
    """[start of the first day, start of the day after the last) in TIME_ZONE. A case
    stored before FIRST_DAY and LAST_DAY were enforced gets the first or last moment
    UTC can hold instead: its bundle covers all time, as the period asked."""
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    latest = dt.datetime.max.replace(tzinfo=dt.UTC)
    start = _midnight(case.period_start, otherwise=earliest)
    if case.period_end >= dt.date.max:
        return start, latest
    return start, _midnight(case.period_end + dt.timedelta(days=1), otherwise=latest)


def _open(
    reader: DisclosureReader,
    scope: Scope,
    places: dict[str, tuple[Place, Any]],
    action: AccessAction,
) -> dict[str, Any]:
    if not places:
        return {}
    opened = unseal(reader, scope, list(places.values()), action=action)
    return {name: item.text for name, item in zip(places, opened, strict=True)} | {
        "intact": all(item.ok for item in opened)
    }


def _profile(reader: DisclosureReader, person: User, kinds: Kinds) -> dict[str, Any]:
    plain = {
        "email": person.email,
        "name": person.name or None,
        "country": person.country or None,
        "language": person.language or None,
        "birth_year": person.birth_year,
        "joined_at": _iso(person.date_joined),
    }
    out: dict[str, Any] = {"id": person.pk}
    sealed: dict[str, tuple[Place, Any]] = {}
    for name, kind in PROFILE_KINDS.items():
        if not kinds.take(kind):
            continue
        if name in SEALED_PROFILE_FIELDS:
            sealed[name] = (
                profile_place(person.pk, name),
                getattr(person, SEALED_PROFILE_FIELDS[name]),
            )
        else:
            out[name] = plain[name]
    out.update(_open(reader, Scope(customer_id=person.pk), sealed, AccessAction.READ_SEALED))
    return out


def _errand(reader: DisclosureReader, errand: Errand, kinds: Kinds) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(errand.pk),
        "status": errand.status,
        "created_at": _iso(errand.created_at),
    }
    content: dict[str, tuple[Place, Any]] = {}
    sealed: dict[str, tuple[Place, Any]] = {}
    for name, kind in ERRAND_KINDS.items():
        if kinds.take(kind):
            place = (errand_place(errand.pk, name), getattr(errand, f"sealed_{name}"))
            (content if name in ("title", "details") else sealed)[name] = place
    opened_content = _open(reader, errand_scope(errand), content, AccessAction.READ_ERRAND)
    opened_sealed = _open(reader, errand_scope(errand), sealed, AccessAction.READ_SEALED)
    out.update({k: v for k, v in opened_content.items() if k != "intact"})
    out.update({k: v for k, v in opened_sealed.items() if k != "intact"})
    out["intact"] = opened_content.get("intact", True) and opened_sealed.get("intact", True)
    return out


def _messages(
    reader: DisclosureReader, person: User, start: Any, end: Any, kinds: Kinds
) -> list[Any]:
    if not kinds.take(MESSAGE_KIND):
        return []
    found = (
        Message.objects.filter(
            errand__customer_id=person.pk, created_at__gte=start, created_at__lt=end
        )
        .select_related("errand", "author")
        .order_by("created_at", "id")
    )
    by_errand: dict[Any, list[Message]] = {}
    for message in found:
        by_errand.setdefault(message.errand_id, []).append(message)
    out: list[dict[str, Any]] = []
    for messages in by_errand.values():
        errand = messages[0].errand
        bodies = unseal(
            reader,
            errand_scope(errand),
            [(message_place(m.seal_id), m.sealed_body) for m in messages],
            action=AccessAction.READ_MESSAGES,
        )
        for message, body in zip(messages, bodies, strict=True):
            author = message.author
            if author is None:
                sender = "former_user"
            elif author.pk == person.pk:
                sender = "person"
            else:
                sender = str(author.role)
            out.append(
                {
                    "id": message.pk,
                    "errand_id": str(errand.pk),
                    "created_at": _iso(message.created_at),
                    "from": sender,
                    "body": body.text,
                    "intact": body.ok,
                }
            )
    out.sort(key=lambda item: (item["created_at"], item["id"]))
    return out


def build_payload(reader: DisclosureReader, case: DisclosureCase) -> dict[str, Any]:
    if case.person_id is None:
        raise Conflict("The person of this case no longer exists.")
    person = User.objects.get(pk=case.person_id)
    start, end = period_bounds(case)
    kinds = Kinds(declared_kinds())
    data: dict[str, Any] = {}
    categories = [c for c in Category.values if c in case.categories]
    if Category.PROFILE in categories:
        data["profile"] = _profile(reader, person, kinds)
    if Category.ERRANDS in categories:
        errands = Errand.objects.filter(
            customer_id=person.pk, created_at__gte=start, created_at__lt=end
        ).order_by("created_at", "pk")
        data["errands"] = (
            [_errand(reader, errand, kinds) for errand in errands]
            if "errand_content" in kinds.allowed
            else []
        )
        if "errand_content" not in kinds.allowed:
            kinds.withheld.add("errand_content")
    if Category.MESSAGES in categories:
        data["messages"] = _messages(reader, person, start, end, kinds)
    return {
        "type": BUNDLE_TYPE,
        "v": 1,
        "case": {
            "id": str(case.pk),
            "reference": case.reference,
            "authority": case.authority,
            "legal_basis": case.legal_basis,
            "deadline": case.deadline.isoformat(),
            "opened_at": _iso(case.opened_at),
            "approved_at": _iso(case.decided_at),
            "opened_by_id": case.opened_by_id,
            "approved_by_id": case.decided_by_id,
        },
        "scope": {
            "person_id": person.pk,
            "categories": categories,
            "period": {
                "start": case.period_start.isoformat(),
                "end": case.period_end.isoformat(),
                "time_zone": settings.TIME_ZONE,
            },
            "data_kinds": sorted(kinds.used),
            "withheld_kinds": sorted(kinds.withheld),
        },
        "generated_at": _iso(timezone.now()),
        "produced_by_id": reader.user.pk,
        "data": data,
    }
