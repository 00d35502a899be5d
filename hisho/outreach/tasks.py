"""Background sends (django-tasks; `hisho db_worker` runs them). Arguments are ids only.

`send_campaign_batch(campaign_id, attempt)` settles what an interrupted attempt left,
sends one batch over one connection to the relay, and enqueues the next batch — so a
send of any size is many short jobs, and a crash loses at most the one copy it was
handing over at that moment (never re-sent: hisho/outreach/actions.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django_tasks import task

from hisho.outreach.actions import (
    do_begin_handover,
    do_deliver,
    do_finish_campaign,
    do_mark_failed,
    do_settle_interrupted,
    next_batch,
)
from hisho.outreach.models import Campaign
from hisho.privacy.recipients import Refused, recipient


def run_batch(campaign_id: str, attempt: int) -> bool:
    """One batch of the campaign's attempt. True if more remain (a next batch is due)."""
    campaign = Campaign.objects.filter(pk=uuid.UUID(campaign_id)).first()
    if campaign is None or campaign.attempt != attempt:
        return False
    do_settle_interrupted(campaign=campaign)
    batch = next_batch(campaign=campaign, attempt=attempt, size=settings.HISHO_OUTREACH_BATCH)
    if not batch:
        do_finish_campaign(campaign=campaign, attempt=attempt)
        return False
    with recipient(campaign.processor).connection() as connection:
        for delivery in batch:
            if not do_begin_handover(delivery=delivery, attempt=attempt):
                continue
            try:
                do_deliver(campaign=campaign, delivery=delivery, connection=connection)
            except Refused:
                do_mark_failed(delivery=delivery)
    return True


@task()
def send_campaign_batch(campaign_id: str, attempt: int) -> bool:
    more = run_batch(campaign_id, attempt)
    if more:
        send_campaign_batch.enqueue(campaign_id, attempt)
    return more
