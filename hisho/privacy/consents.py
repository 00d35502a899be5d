"""Reading consents and policy versions (the write side is hisho.privacy.actions).

A person's answer for a purpose is their latest `ConsentRecord` for it — if it was given
for the purpose as policy.yaml defines it *now* (same fingerprint). A purpose that is new,
or that a new version widened (more data, another recipient, other wording), has no
answer until the person gives one: nothing is assumed, and nothing is ever pre-ticked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from hisho.privacy.models import (
    ConsentConfirmation,
    ConsentRecord,
    PolicyAcknowledgement,
    PolicyVersion,
)
from hisho.privacy.policy import Policy, Purpose, current_policy


@dataclass(frozen=True)
class ConsentState:
    purpose: Purpose
    granted: bool
    # The answer that counts now; None if none was given for the purpose as it stands.
    answered_at: dt.datetime | None
    how: str | None
    policy_version: int | None
    # An earlier answer exists but was for an older definition of the purpose.
    asks_again: bool
    # Granted, waiting for the person to follow the e-mailed link (double opt-in).
    pending_confirmation: bool = False


def _latest(user: Any, purpose: str) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(user_id=user.pk, purpose=purpose)
        .order_by("-at", "-id")
        .first()
    )


def consent_states(user: Any, policy: Policy | None = None) -> list[ConsentState]:
    """The person's answer for every purpose that rests on consent, in policy order."""
    policy = policy or current_policy()
    purposes = policy.consent_purposes
    latest: dict[str, ConsentRecord] = {}
    records = ConsentRecord.objects.filter(
        user_id=user.pk, purpose__in=[p.key for p in purposes]
    ).order_by("purpose", "-at", "-id")
    for record in records:
        latest.setdefault(record.purpose, record)
    pending = set(
        ConsentConfirmation.objects.filter(
            user_id=user.pk, confirmed_at__isnull=True, void=False, expires_at__gt=timezone.now()
        ).values_list("purpose", flat=True)
    )
    states = []
    for purpose in purposes:
        found = latest.get(purpose.key)
        fingerprint = policy.purpose_fingerprint(purpose.key)
        current = found if found is not None and found.fingerprint == fingerprint else None
        states.append(
            ConsentState(
                purpose=purpose,
                granted=current is not None and current.granted,
                answered_at=current.at if current else None,
                how=current.how if current else None,
                policy_version=current.policy_version if current else None,
                asks_again=found is not None and current is None,
                pending_confirmation=purpose.key in pending
                and not (current is not None and current.granted),
            )
        )
    return states


def answered(user: Any, purpose: str, policy: Policy | None = None) -> bool | None:
    """True/False: the person's answer for the purpose as it stands; None: no answer."""
    policy = policy or current_policy()
    if not getattr(user, "is_authenticated", False) or purpose not in policy.purposes:
        return None
    record = _latest(user, purpose)
    if record is None or record.fingerprint != policy.purpose_fingerprint(purpose):
        return None
    return record.granted


def has_consent(user: Any, purpose: str) -> bool:
    return answered(user, purpose) is True


# --- policy versions ----------------------------------------------------------------------


def latest_version() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def version_in_force_number() -> int | None:
    version = PolicyVersion.objects.order_by("-number").values_list("number", flat=True).first()
    return int(version) if version is not None else None


def unacknowledged_version(user: Any) -> PolicyVersion | None:
    """The latest published version, if the signed-in person has not acknowledged it and
    it was published after they joined (at sign-up they were shown the policy in force)."""
    if not getattr(user, "is_authenticated", False):
        return None
    version = latest_version()
    if version is None or version.published_at <= user.date_joined:
        return None
    if PolicyAcknowledgement.objects.filter(user_id=user.pk, version=version).exists():
        return None
    return version
