"""Double opt-in (POLICY O5): a grant of a purpose declared `confirm: email` in policy.yaml
counts only once the person follows a signed link e-mailed to them, within seven days.

- `request_confirmation` (called by `do_set_consent`) stores a pending
  `ConsentConfirmation` and e-mails the link after commit;
- `do_confirm_consent` records the consent when the link is followed;
- `withdraw_confirmations` voids pending links when the person says no again;
- `ask_processors_to_forget` asks every processor that received the person's address for
  the purpose to delete it (consent withdrawn, account erased) — each request recorded.

Links carry a signed opaque token (hisho.signing.tokens) naming the confirmation row —
never the person or their address.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from hisho.accounts.models import User
from hisho.audit.actions import record_event
from hisho.errors import Conflict, NotFound
from hisho.privacy.models import ConsentConfirmation, ConsentHow, ConsentRecord
from hisho.privacy.policy import Policy, current_policy
from hisho.signing.tokens import BadToken, make_token, read_token

CONFIRM_FOR = dt.timedelta(days=7)
TOKEN_KIND = "consent-confirm"  # noqa: S105 - a kind of link, not a secret
LINK_NOT_FOUND = "This confirmation link is not valid."
LINK_EXPIRED = "This confirmation link has expired. Ask again from your consent settings."


def confirmation_token(confirmation: ConsentConfirmation) -> str:
    return make_token(TOKEN_KIND, confirmation.pk, expires_at=confirmation.expires_at)


def request_confirmation(*, actor: User, purpose: str, policy: Policy) -> ConsentConfirmation:
    """Inside do_set_consent's transaction: a new pending confirmation (earlier pending
    links for the purpose stop working) and, after commit, the e-mail with its link."""
    from hisho.privacy.tasks import send_consent_confirmation

    withdraw_confirmations(actor=actor, purpose=purpose)
    now = timezone.now()
    confirmation = ConsentConfirmation.objects.create(
        user=actor,
        purpose=purpose,
        requested_at=now,
        expires_at=now + CONFIRM_FOR,
        fingerprint=policy.purpose_fingerprint(purpose),
    )
    record_event(
        "privacy.consent_confirmation_requested",
        actor=actor,
        target=actor,
        extra={"purpose": purpose, "confirmation_id": confirmation.pk},
    )
    confirmation_id = str(confirmation.pk)
    transaction.on_commit(lambda: send_consent_confirmation.enqueue(confirmation_id), robust=True)
    return confirmation


def withdraw_confirmations(*, actor: User, purpose: str) -> int:
    return ConsentConfirmation.objects.filter(
        user=actor, purpose=purpose, confirmed_at__isnull=True, void=False
    ).update(void=True)


def pending_purposes(user: User) -> set[str]:
    """Purposes the person asked for and has not confirmed yet (links still valid)."""
    return set(
        ConsentConfirmation.objects.filter(
            user_id=user.pk,
            confirmed_at__isnull=True,
            void=False,
            expires_at__gt=timezone.now(),
        ).values_list("purpose", flat=True)
    )


def confirmation_for(token: str) -> ConsentConfirmation:
    """The pending confirmation a link names; NotFound (404) for a forged, void, used or
    outdated link, Conflict (409) for an expired one."""
    try:
        pk = read_token(TOKEN_KIND, token)
    except BadToken as bad:
        if bad.reason == "expired":
            raise Conflict(LINK_EXPIRED) from None
        raise NotFound(LINK_NOT_FOUND) from None
    confirmation = (
        ConsentConfirmation.objects.select_related("user").filter(pk=pk, void=False).first()
    )
    if confirmation is None or confirmation.confirmed_at is not None:
        raise NotFound(LINK_NOT_FOUND)
    if not confirmation.user.is_active:
        raise NotFound(LINK_NOT_FOUND)
    if confirmation.expires_at <= timezone.now():
        raise Conflict(LINK_EXPIRED)
    policy = current_policy()
    if policy.purpose_fingerprint(confirmation.purpose) != confirmation.fingerprint:
        raise NotFound(LINK_NOT_FOUND)  # the purpose changed since: ask again
    return confirmation


@transaction.atomic
def do_confirm_consent(*, token: str) -> ConsentRecord:
    """The person followed the link: record their consent (as asked, seven days at most
    ago). Whoever holds the link acts for the person it was sent to."""
    from hisho.privacy.actions import do_set_consent

    confirmation = confirmation_for(token)
    locked = ConsentConfirmation.objects.select_for_update().get(pk=confirmation.pk)
    if locked.confirmed_at is not None or locked.void:
        raise NotFound(LINK_NOT_FOUND)
    locked.confirmed_at = timezone.now()
    locked.save(update_fields=["confirmed_at"])
    actor = confirmation.user
    record = do_set_consent(
        actor=actor, purpose=confirmation.purpose, granted=True, how=ConsentHow.EMAIL_LINK
    )
    record_event(
        "privacy.consent_confirmed",
        actor=actor,
        target=actor,
        extra={"purpose": confirmation.purpose, "confirmation_id": confirmation.pk},
    )
    if record is None:  # already granted (e.g. confirmed from a second link)
        return ConsentRecord.objects.filter(user=actor, purpose=confirmation.purpose)[0]
    return record


def ask_processors_to_forget(*, actor: User, purpose: str) -> int:
    """Inside the withdrawing (or erasing) action's transaction: each processor declared
    for `purpose` that ever received the person's address is asked to delete it."""
    from hisho.privacy.recipients import recipient

    policy = current_policy()
    asked = 0
    for declared in policy.recipients.values():
        if declared.kind != "processor" or purpose not in declared.purposes:
            continue
        if policy.purposes[purpose].needs_consent and recipient(declared.key).request_deletion(
            subject=actor,
            address=actor.email,
            purpose=purpose,
            reference=f"deletion:{uuid.uuid4()}",
        ):
            asked += 1
    return asked
