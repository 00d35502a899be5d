"""Who may receive a campaign: exactly the people who gave (and confirmed, double opt-in)
consent to its purpose as policy.yaml defines it now, whose account is active — erased
accounts no longer exist — and whose address is not suppressed. Read-only."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from hisho.accounts.models import User
from hisho.outreach.models import Suppression
from hisho.privacy.models import ConsentRecord
from hisho.privacy.policy import current_policy


def address_digest(address: str) -> str:
    key = hashlib.sha256(b"hisho-outreach-suppression|" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()


def is_suppressed(address: str) -> bool:
    return Suppression.objects.filter(address_digest=address_digest(address)).exists()


def consenting_ids(purpose: str) -> list[int]:
    """Ids of people whose latest answer for `purpose`, given for its current definition,
    is yes (a grant is only recorded once confirmed: hisho.privacy.actions.confirmation)."""
    fingerprint = current_policy().purpose_fingerprint(purpose)
    latest: dict[int, ConsentRecord] = {}
    records = (
        ConsentRecord.objects.filter(purpose=purpose)
        .order_by("user_id", "-at", "-id")
        .only("user_id", "granted", "fingerprint")
    )
    for record in records.iterator(chunk_size=2000):
        latest.setdefault(record.user_id, record)
    return sorted(
        user_id
        for user_id, record in latest.items()
        if record.granted and record.fingerprint == fingerprint
    )


def audience(purpose: str) -> list[int]:
    """Ids of the people a campaign for `purpose` goes to, in id order."""
    wanted = consenting_ids(purpose)
    suppressed = set(Suppression.objects.values_list("address_digest", flat=True))
    out = []
    for start in range(0, len(wanted), 2000):
        rows = User.objects.filter(pk__in=wanted[start : start + 2000], is_active=True).exclude(
            email=""
        )
        for pk, email in rows.values_list("pk", "email"):
            if not suppressed or address_digest(email) not in suppressed:
                out.append(pk)
    return sorted(out)
