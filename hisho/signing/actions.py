"""Every write to the signing keys (house rule 1): creating the first key, rotating."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hisho.accounts.models import Role
from hisho.audit.actions import record_event
from hisho.errors import Forbidden
from hisho.signing import keys
from hisho.signing.models import SigningKey


def _insert(new: keys.NewKey) -> SigningKey:
    return SigningKey.objects.create(
        key_id=new.key_id,
        public_key=new.public_key,
        master_key_id=new.master_key_id,
        wrapped_private_key=new.wrapped_private_key,
        active=True,
        created_at=timezone.now(),
    )


def do_ensure_signing_key(*, actor: Any | None = None) -> SigningKey:
    """The active signing key, made on first use. Safe under concurrent first uses: one
    key is active at a time (a partial unique index), the loser uses the winner's."""
    found = keys.active_key()
    if found is not None:
        return found
    new = keys.generate()
    try:
        with transaction.atomic():
            row = _insert(new)
            record_event(
                "signing.key_created", actor=actor, extra={"key_id": row.key_id, "first": True}
            )
            return row
    except IntegrityError:
        found = keys.active_key()
        if found is None:
            raise
        return found


@transaction.atomic
def do_rotate_signing_key(*, actor: Any | None) -> SigningKey:
    """A new key signs from now on; the old one is retired but stays published, so what
    it signed stays verifiable. `actor` None: the command line (an operator)."""
    if actor is not None and (not actor.is_active or actor.role != Role.ADMIN):
        raise Forbidden("Only admins can rotate the signing key.")
    previous = SigningKey.objects.select_for_update().filter(active=True).first()
    if previous is not None:
        previous.active = False
        previous.retired_at = timezone.now()
        previous.save(update_fields=["active", "retired_at"])
    row = _insert(keys.generate())
    record_event(
        "signing.key_rotated",
        actor=actor,
        extra={"key_id": row.key_id, "previous_key_id": previous.key_id if previous else None},
    )
    return row
