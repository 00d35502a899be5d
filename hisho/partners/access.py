"""Who may read what of hisho.partners (DESIGN rule 2).

Partners read releases (their own), their budget and their offers — never a
contribution, a click or anything else about a person. Customers read which releases
counted them. The ledger of releases is public.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.accounts.principal import Principal
from hisho.desk.models import Errand, Status
from hisho.errors import NotFound
from hisho.partners.budget import Budget, as_epsilon, budget_of
from hisho.partners.models import Offer, OfferStatus, Release, ReleaseContribution
from hisho.privacy.consents import has_consent
from hisho.privacy.policy import PartnerReport, current_policy

PERSONALISED_OFFERS = "personalised_offers"
NO_SUCH_OFFER = "No such offer."
OFFERS_SHOWN = 3


def _principal(who: Any) -> Principal:
    if not isinstance(who, Principal):
        raise NotFound()
    return who


def report_catalogue(principal: Principal) -> list[PartnerReport]:
    require_role(principal, Role.PARTNER, detail="Reports are for partners.")
    return list(current_policy().partner_reports.reports.values())


def partner_budget(principal: Principal) -> Budget:
    require_role(principal, Role.PARTNER, detail="The budget is for partners.")
    return budget_of(principal.pk)


def partner_releases(principal: Principal) -> list[Release]:
    require_role(principal, Role.PARTNER, detail="Releases are for partners.")
    return list(Release.objects.filter(partner_id=principal.pk).order_by("-released_at"))


def partner_label(release: Release) -> str:
    partner = release.partner
    return partner.display_name if partner is not None else "former partner"


@dataclass(frozen=True)
class LedgerEntry:
    id: uuid.UUID
    report: str
    partner: str
    released_at: Any
    epsilon: Decimal


LEDGER_PAGE = 500
NO_SUCH_RELEASE = "No such release."


def ledger(limit: int = LEDGER_PAGE, *, before: Any = None) -> list[LedgerEntry]:
    """The public ledger: every release, newest first — report, partner, time, ε — a page
    at a time: `before` (a release's id) gives the page of releases older than it. Without
    it, the many tiny releases one partner may make in a month (3.0 in steps of 0.001)
    would push every older release, anyone's, out of public view for good."""
    releases = Release.objects.select_related("partner").order_by("-released_at", "-id")
    if before is not None:
        try:
            key = uuid.UUID(str(before))
        except ValueError:
            raise NotFound(NO_SUCH_RELEASE) from None
        cursor = Release.objects.filter(pk=key).values_list("released_at", "id").first()
        if cursor is None:
            raise NotFound(NO_SUCH_RELEASE)
        at, pk = cursor
        releases = releases.filter(Q(released_at__lt=at) | Q(released_at=at, id__lt=pk))
    return [
        LedgerEntry(r.id, r.report, partner_label(r), r.released_at, r.epsilon)
        for r in releases[:limit]
    ]


@dataclass(frozen=True)
class MyReleases:
    releases: list[LedgerEntry]
    epsilon_total: Decimal
    epsilon_limit: Decimal | None  # the most all releases will ever spend on them


def my_releases(principal: Principal) -> MyReleases:
    """The releases the caller's data was counted in, and the ε they cost in total."""
    principal = _principal(principal)
    require_role(principal, Role.CUSTOMER, detail="Only customers are counted in releases.")
    ids = ReleaseContribution.objects.filter(person_id=principal.pk).values("release_id")
    releases = Release.objects.filter(pk__in=ids).select_related("partner")
    total = as_epsilon(releases.aggregate(total=Sum("epsilon"))["total"] or 0)
    return MyReleases(
        releases=[
            LedgerEntry(r.id, r.report, partner_label(r), r.released_at, r.epsilon)
            for r in releases.order_by("-released_at")
        ],
        epsilon_total=total,
        epsilon_limit=(
            None
            if (limit := current_policy().partner_reports.epsilon_per_person) is None
            else as_epsilon(limit)
        ),
    )


def partner_offers(principal: Principal) -> list[Offer]:
    require_role(principal, Role.PARTNER, detail="Offers are for partners.")
    return list(Offer.objects.filter(partner_id=principal.pk))


def offers_to_review(principal: Principal) -> list[Offer]:
    require_role(principal, Role.ADMIN, detail="Offers are reviewed by admins.")
    return list(Offer.objects.filter(status=OfferStatus.PENDING).order_by("created_at"))


def access_offer_for_review(principal: Principal, offer_id: Any) -> Offer:
    require_role(principal, Role.ADMIN, detail="Offers are reviewed by admins.")
    offer = _offer(offer_id)
    if offer is None:
        raise NotFound(NO_SUCH_OFFER)
    return offer


def _offer(offer_id: Any) -> Offer | None:
    try:
        key = uuid.UUID(str(offer_id))
    except ValueError:
        return None
    return Offer.objects.filter(pk=key).first()


def access_approved_offer(offer_id: Any) -> Offer:
    """An approved offer, for anyone (its leaving notice is public); else not found."""
    offer = _offer(offer_id)
    if offer is None or offer.status != OfferStatus.APPROVED:
        raise NotFound(NO_SUCH_OFFER)
    return offer


def offers_for(principal: Principal | None, *, limit: int = OFFERS_SHOWN) -> list[Offer]:
    """Approved offers to show this caller. Targeted only by the categories of the
    customer's own open errands, and only with consent to personalised offers;
    otherwise the same offers for everyone (newest first). Never sealed content."""
    approved = Offer.objects.filter(status=OfferStatus.APPROVED).order_by("-decided_at")
    user = principal.user if isinstance(principal, Principal) else None
    if user is not None and user.role == Role.CUSTOMER and has_consent(user, PERSONALISED_OFFERS):
        categories = set(
            Errand.objects.filter(customer_id=user.pk)
            .exclude(status=Status.CANCELLED)
            .values_list("category", flat=True)
        )
        matching = [o for o in approved[:200] if categories & set(o.categories)]
        if matching:
            return matching[:limit]
    return list(approved[:limit])
