"""Every change to accounts (house rule 1)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hisho.accounts.access import SEALED_PROFILE_FIELDS, profile_place, require_role
from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.errors import Conflict, Forbidden, InvalidInput, NotFound
from hisho.inbound import scrub
from hisho.textcheck import ADDRESS_MAX, NAME_MAX, PHONE_MAX
from hisho.vault.sealing import Scope, seal

PROFILE_FIELDS = ("name", "phone", "mailing_address", "country", "language", "birth_year")


@transaction.atomic
def do_create_user(
    *,
    email: str,
    password: str | None,
    role: Role = Role.CUSTOMER,
    name: str = "",
    actor: User | None = None,
    verified: bool = False,
) -> User:
    """Create an account (demo data, admin tools). Visitors sign up through allauth,
    whose adapter records the same event."""
    user = User.objects.create_user(email=email, password=password, role=role, name=name)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    record_event("account.created", actor=actor, target=user, extra={"role": role.value})
    return user


def end_all_sessions(user: User) -> int:
    """Sign the user out everywhere: browser sessions and app tokens alike (allauth's
    app tokens are sessions too, tracked per user by allauth.usersessions)."""
    sessions = UserSession.objects.purge_and_list(user)
    get_usersessions_adapter().end_sessions(sessions)
    return len(sessions)


@transaction.atomic
def do_set_role(*, actor: User, user: User, role: str) -> User:
    require_role(actor, Role.ADMIN, detail="Only admins can manage roles.")
    try:
        new_role = Role(role)
    except ValueError:
        raise InvalidInput("role", "Not a known role.") from None
    if user.pk == actor.pk and new_role != Role.ADMIN:
        # An admin demoting themselves could leave the service with no admin at all.
        raise InvalidInput("role", "Admins cannot remove their own admin role.")
    previous = user.role
    if previous == new_role:
        return user
    user.role = new_role
    user.save(update_fields=["role"])
    # Losing a role ends every session at once, so no open page keeps old powers.
    end_all_sessions(user)
    record_event(
        "account.role_changed",
        actor=actor,
        target=user,
        extra={"from": previous, "to": new_role.value},
    )
    return user


@transaction.atomic
def do_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate an account (it can no longer sign in, every session ends at once) or
    reactivate it. Admins only, never their own; audited."""
    if not (actor.is_superuser or actor.role == Role.ADMIN) or not actor.is_active:
        raise Forbidden("Only admins can deactivate accounts.")
    if user.pk == actor.pk:
        raise InvalidInput("is_active", "Admins cannot deactivate themselves.")
    if user.is_active == active:
        return user
    # Sessions end first: allauth finds a session's person only while they are active.
    sessions_ended = 0 if active else end_all_sessions(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_event(
        "account.reactivated" if active else "account.deactivated",
        actor=actor,
        target=user,
        extra={"sessions_ended": sessions_ended},
    )
    return user


def _clean_profile(changes: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The changes checked and scrubbed, and how many card numbers DLP masked in them."""
    clean: dict[str, Any] = {}
    cards_masked = 0
    limits = {"name": NAME_MAX, "phone": PHONE_MAX, "mailing_address": ADDRESS_MAX}
    for field, value in changes.items():
        if field not in PROFILE_FIELDS:
            raise InvalidInput(field, "Unknown field.")
        if field in limits:
            scrubbed = scrub(field, "" if value is None else str(value), max_length=limits[field])
            cards_masked += scrubbed.cards_masked
            clean[field] = scrubbed.text
        elif field == "country":
            code = "" if value is None else str(value).strip().upper()
            if code and not (len(code) == 2 and code.isascii() and code.isalpha()):
                raise InvalidInput(field, "Use a two-letter country code (ISO 3166), e.g. JP.")
            clean[field] = code
        elif field == "language":
            code = "" if value is None else str(value).strip().lower()
            if code and code not in dict(settings.LANGUAGES):
                raise InvalidInput(field, "Not a language Hisho offers.")
            clean[field] = code
        elif field == "birth_year":
            if value is None:
                clean[field] = None
            else:
                this_year = timezone.now().year
                if not isinstance(value, int) or not 1900 <= value <= this_year:
                    raise InvalidInput(field, f"A year between 1900 and {this_year}.")
                clean[field] = value
    return clean, cards_masked


@transaction.atomic
def do_update_profile(*, actor: User, changes: dict[str, Any]) -> User:
    """Change one's own optional fields; an empty value or None clears a field."""
    clean, cards_masked = _clean_profile(changes)
    actor.cards_masked = cards_masked
    if not clean:
        return actor
    columns = []
    for field, value in clean.items():
        column = SEALED_PROFILE_FIELDS.get(field)
        if column:
            # Sealed; clearing stores NULL, which destroys the old ciphertext.
            value = seal(Scope(customer_id=actor.pk), profile_place(actor.pk, field), value)
        setattr(actor, column or field, value)
        columns.append(column or field)
    actor.save(update_fields=columns)
    record_event(
        "account.profile_updated",
        actor=actor,
        target=actor,
        extra={f"changed_{field}": True for field in sorted(clean)},
    )
    return actor


@transaction.atomic
def do_enrol_totp(*, actor: User | None, user: User, secret: str) -> Any:
    """Enrol `user` in TOTP with a known secret, plus recovery codes, through
    allauth.mfa's own models. Only for demo data and operators' scripts: people enrol
    themselves at /accounts/2fa/, where the secret never leaves their device's QR code.
    Safe to repeat: an existing TOTP authenticator is kept."""
    from allauth.mfa.models import Authenticator

    from hisho.compat.allauth import activate_totp

    existing = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    authenticator = activate_totp(user, secret)
    record_event(
        "auth.mfa_added",
        actor=actor,
        target=user,
        extra={"authenticator_type": "totp", "authenticator_id": authenticator.pk},
    )
    return authenticator


@transaction.atomic
def do_store_provider_data(*, account: Any) -> None:
    """Keep what a provider returned for an existing linked account (allauth's social
    sign-in hands it over in `pre_social_login`; hisho/accounts/social.py decides what is
    kept, e.g. Facebook's friends only when granted). Not audited: the sign-in is."""
    account.save(update_fields=["extra_data"])


@transaction.atomic
def do_remove_social_account(*, actor: User, account_id: int) -> None:
    """Disconnect a provider account and delete everything it returned (extra_data and
    any token). Refused while it is the person's only way to sign in."""
    from allauth.socialaccount.models import SocialAccount

    account = (
        SocialAccount.objects.select_for_update().filter(pk=account_id, user_id=actor.pk).first()
    )
    if account is None:
        raise NotFound("No such connected account.")
    others = SocialAccount.objects.filter(user_id=actor.pk).exclude(pk=account.pk).exists()
    if not actor.has_usable_password() and not others:
        raise Conflict(
            "This is your only way to sign in: set a password first "
            "(Forgot password? on the sign-in page), then remove it."
        )
    provider = str(account.provider)[:64]
    account.delete()  # its SocialToken rows go with it (CASCADE)
    record_event(
        "account.provider_removed",
        actor=actor,
        target=actor,
        extra={"social_account_id": account_id, "provider": provider},
    )
