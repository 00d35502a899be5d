"""Moving read markers forward (house rule 1).

No audit event: a marker changes nobody's data and says only that a participant looked at
their own errand — which they do on every page view; the access log already records
every staff read of content (hisho/vault/reads.py)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hisho.accounts.models import User
from hisho.desk.models import Errand, Message
from hisho.inbox.models import ReadMarker


@transaction.atomic
def do_mark_read(*, actor: User, errand: Errand, up_to: int | None = None) -> int:
    """The actor has been shown the errand's chat up to message `up_to` (None: all of
    it). Markers only move forward. The caller has checked that the actor holds the
    errand (access_errand). Returns the marker's message id."""
    if up_to is None:
        latest = Message.objects.filter(errand=errand).order_by("-id").values_list("id", flat=True)
        up_to = latest.first() or 0
    now = timezone.now()
    moved = ReadMarker.objects.filter(
        errand_id=errand.pk, person_id=actor.pk, last_read_id__lt=up_to
    ).update(last_read_id=up_to, read_at=now)
    if not moved:
        ReadMarker.objects.bulk_create(
            [ReadMarker(errand_id=errand.pk, person_id=actor.pk, last_read_id=up_to, read_at=now)],
            ignore_conflicts=True,
        )
    return up_to
