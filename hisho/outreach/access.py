"""Who may see what of outreach: campaigns and their results are for admins (others lack
the whole function: 403; an unknown campaign is 404); a survey invitation is its
invited person's alone (anyone else: the same 404 as a missing one)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, QuerySet

from hisho.accounts.principal import Principal
from hisho.errors import NotFound
from hisho.outreach.actions import require_outreach_admin
from hisho.outreach.models import Campaign, CampaignKind, Delivery, DeliveryStatus

CAMPAIGN_NOT_FOUND = "No such campaign."
INVITATION_NOT_FOUND = "No such survey invitation."


def _uuid(value: Any, missing: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(missing) from None


def access_campaign(principal: Principal, campaign_id: Any) -> Campaign:
    require_outreach_admin(principal)
    campaign = Campaign.objects.filter(pk=_uuid(campaign_id, CAMPAIGN_NOT_FOUND)).first()
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    return campaign


def campaigns_for(principal: Principal) -> QuerySet[Campaign]:
    require_outreach_admin(principal)
    return Campaign.objects.order_by("-created_at")


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    for status, n in campaign.deliveries.values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts


def access_invitation(principal: Principal, invitation_id: Any) -> Delivery:
    if not isinstance(principal, Principal) or not principal.active:
        raise NotFound(INVITATION_NOT_FOUND)
    delivery = (
        Delivery.objects.select_related("campaign")
        .filter(
            pk=_uuid(invitation_id, INVITATION_NOT_FOUND),
            person_id=principal.pk,
            campaign__kind=CampaignKind.SURVEY,
            status__in=[DeliveryStatus.SENT, DeliveryStatus.UNCONFIRMED],
        )
        .first()
    )
    if delivery is None:
        raise NotFound(INVITATION_NOT_FOUND)
    return delivery


def invitations_for(principal: Principal) -> QuerySet[Delivery]:
    return (
        Delivery.objects.select_related("campaign")
        .filter(
            person_id=principal.pk,
            campaign__kind=CampaignKind.SURVEY,
            status__in=[DeliveryStatus.SENT, DeliveryStatus.UNCONFIRMED],
        )
        .order_by("-campaign__created_at")
    )
