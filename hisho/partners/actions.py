"""Every write of hisho.partners (DESIGN rule 1): releases, offers, offer clicks."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.errors import Conflict, InvalidInput, NotFound
from hisho.inbound import carries_card, scrub
from hisho.partners.budget import as_epsilon, budget_of
from hisho.partners.dp import private_counts
from hisho.partners.models import Offer, OfferClick, OfferStatus, Release, ReleaseContribution
from hisho.partners.origins import partner_origin
from hisho.partners.reports import SOURCES
from hisho.privacy.policy import current_policy
from hisho.signing.service import sign_document

RELEASE_TYPE = "hisho.partner-release"
OVER_BUDGET = "This release would exceed your privacy budget for this month."
NO_SUCH_REPORT = "No such report."
OFFER_LANGUAGES = ("en", "ja")
TITLE_MAX, BODY_MAX, URL_MAX = 120, 1000, 500


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _epsilon(requested: float | None) -> Decimal:
    catalogue = current_policy().partner_reports
    if requested is None:
        return as_epsilon(catalogue.default_epsilon)
    if not isinstance(requested, int | float) or requested != requested:
        raise InvalidInput("epsilon", "Give ε as a number.")
    epsilon = as_epsilon(min(max(float(requested), 0.0), 1e6))
    if not Decimal(0) < epsilon <= as_epsilon(catalogue.max_epsilon):
        raise InvalidInput(
            "epsilon", f"ε must be more than 0 and at most {catalogue.max_epsilon:g}."
        )
    return epsilon


def people_at_limit(spend: Decimal, per_person: float | None) -> set[int]:
    """Who a release of ε `spend` must leave out: those whose releases so far, plus this
    one, would pass the policy's lifetime ε per person (an individual privacy filter,
    Feldman and Zrnic, "Individual Privacy Accounting via a Rényi Filter", 2021: each
    person's loss is counted only in releases that counted them, and they stop being
    counted before it passes the limit — so the limit holds for each, whatever the
    partners ask, and their data stops influencing anything from then on)."""
    if per_person is None:
        return set()
    room = as_epsilon(per_person) - spend
    return set(
        ReleaseContribution.objects.values("person_id")
        .annotate(total=Sum("release__epsilon"))
        .filter(total__gt=room)
        .values_list("person_id", flat=True)
    )


@transaction.atomic
def do_release_report(*, actor: User, report: str, epsilon: float | None = None) -> Release:
    """Compute `report` with differential privacy (hisho.partners.dp), charge its ε to
    the partner's monthly budget (Conflict beyond it), sign and store it, and remember
    whose data it counted (for their "My data")."""
    require_role(actor, Role.PARTNER, detail="Reports are for partners.")
    catalogue = current_policy().partner_reports
    declared = catalogue.reports.get(report)
    if declared is None:
        raise NotFound(NO_SUCH_REPORT)
    spend = _epsilon(epsilon)
    # One release at a time, across partners: the monthly budget's check and charge are
    # one step, and so are each person's lifetime limit and the contributions that count
    # against it (two partners at once could otherwise both spend a person's last room).
    # Every partner's row, in one order: partners are few, and nothing locks two of them.
    list(User.objects.select_for_update().filter(role=Role.PARTNER).order_by("pk"))
    now = timezone.now()
    budget = budget_of(actor.pk, now=now)
    if budget.epsilon_spent + spend > budget.epsilon_total:
        raise Conflict(OVER_BUDGET)
    contributions = SOURCES[declared.source](actor)
    at_limit = people_at_limit(spend, catalogue.epsilon_per_person)
    contributions = {p: groups for p, groups in contributions.items() if p not in at_limit}
    counts = private_counts(
        contributions,
        epsilon=float(spend),
        delta=catalogue.delta,
        min_group_size=declared.min_group_size,
        max_contributions=declared.max_contributions,
    )
    release_id = uuid.uuid4()
    rows: list[dict[str, Any]] = [
        {**dict(zip(declared.group_by, group, strict=True)), "count": count}
        for group, count in counts
    ]
    payload = {
        "type": RELEASE_TYPE,
        "v": 1,
        "id": str(release_id),
        "report": report,
        "released_at": iso(now),
        "epsilon": str(spend),
        "delta": f"{catalogue.delta:g}",
        "min_group_size": declared.min_group_size,
        "max_contributions": declared.max_contributions,
        "group_by": list(declared.group_by),
        "rows": rows,
    }
    release = Release.objects.create(
        id=release_id,
        report=report,
        partner=actor,
        released_at=now,
        epsilon=spend,
        signed=sign_document(payload),
    )
    people = [person for person, groups in contributions.items() if groups]
    ReleaseContribution.objects.bulk_create(
        (ReleaseContribution(release=release, person_id=person) for person in people),
        batch_size=5000,
    )
    record_event(
        "partner.release",
        actor=actor,
        target=release,
        extra={
            "report": report,
            "epsilon_milli": int(spend * 1000),
            "groups": len(rows),
            "people": len(people),
            "people_at_limit": len(at_limit),
        },
    )
    return release


def _offer_url(url: str) -> str:
    cleaned = scrub("url", url, max_length=URL_MAX, required=True).text
    # A link is read decoded, as a browser would: a card number %-escaped in its query is
    # still a card number, and a masked link makes no sense — refused.
    if carries_card(cleaned):
        raise InvalidInput("url", "A link may not carry a card number.")
    try:
        URLValidator(schemes=["https", "http"])(cleaned)
    except ValidationError:
        raise InvalidInput("url", "Give the offer's web address (https://…).") from None
    parts = urlsplit(cleaned)
    if parts.username or parts.password:
        raise InvalidInput("url", "The address may not carry a user name or password.")
    if partner_origin(cleaned) is None:
        # The leaving notice must name the site to the browser (CSP form-action) or its
        # button stops there: an IPv6 literal, say, cannot be written in a CSP source.
        raise InvalidInput("url", "Give the site by its name (https://example.com/…).")
    return cleaned


@transaction.atomic
def do_submit_offer(
    *,
    actor: User,
    title: str,
    body: str,
    url: str,
    categories: list[str],
    language: str,
) -> Offer:
    require_role(actor, Role.PARTNER, detail="Offers are submitted by partners.")
    known = current_policy().errand_categories
    if not isinstance(categories, list) or any(c not in known for c in categories):
        raise InvalidInput("categories", "Use the errand categories' keys.")
    if language not in OFFER_LANGUAGES:
        raise InvalidInput("language", "The language is en or ja.")
    offer = Offer.objects.create(
        partner=actor,
        title=scrub("title", title, max_length=TITLE_MAX, required=True).text,
        body=scrub("body", body, max_length=BODY_MAX, required=True).text,
        url=_offer_url(url),
        categories=sorted(set(categories)),
        language=language,
    )
    record_event("partner.offer_submitted", actor=actor, target=offer)
    return offer


@transaction.atomic
def do_decide_offer(*, actor: User, offer: Offer, approve: bool) -> Offer:
    require_role(actor, Role.ADMIN, detail="Offers are reviewed by admins.")
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != OfferStatus.PENDING:
        raise Conflict("This offer was already reviewed.")
    offer.status = OfferStatus.APPROVED if approve else OfferStatus.REJECTED
    offer.decided_by = actor
    offer.decided_at = timezone.now()
    offer.save(update_fields=["status", "decided_by", "decided_at"])
    record_event("partner.offer_decided", actor=actor, target=offer, extra={"status": offer.status})
    return offer


@transaction.atomic
def do_record_offer_click(*, actor: User | None, offer: Offer) -> bool:
    """A signed-in customer followed an approved offer: counted once per person and offer
    (reaching the partner only as a DP release). Anyone else: nothing is recorded."""
    if actor is None or not actor.is_authenticated or actor.role != Role.CUSTOMER:
        return False
    if offer.status != OfferStatus.APPROVED:
        return False
    _, created = OfferClick.objects.get_or_create(
        offer=offer, person=actor, defaults={"at": timezone.now()}
    )
    if created:
        record_event("partner.offer_followed", actor=actor, target=offer)
    return created
