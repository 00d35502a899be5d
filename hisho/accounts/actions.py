"""Every change to accounts (house rule 1)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import phonenumbers
from allauth.account.models import EmailAddress
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from hisho.accounts.access import SEALED_PROFILE_FIELDS, profile_place, require_role
from hisho.accounts.models import GrantStatus, Role, RoleGrant, User
from hisho.accounts.principal import STAFF_ROLES
from hisho.audit.actions import record_event
from hisho.errors import Conflict, Forbidden, InvalidInput, NotFound
from hisho.inbound import scrub
from hisho.textcheck import ADDRESS_MAX, NAME_MAX, PHONE_MAX
from hisho.vault.sealing import Scope, seal
from hisho.zones import is_known

PROFILE_FIELDS = (
    "name",
    "phone",
    "mailing_address",
    "country",
    "language",
    "birth_year",
    "time_zone",
)
# Settings a person changes alongside their profile.
PREFERENCE_FIELDS = ("approve_assignees",)


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
def do_purge_ended_sessions(*, now: dt.datetime | None = None) -> int:
    """policy.yaml keeps a session and its device (IP address, browser) "until you sign out
    or the session expires": allauth writes a UserSession row at each sign-in but deletes
    it only at that person's next sign-in, so without this a signed-out or expired
    session's address stayed, and was exported, indefinitely. Run by the daily retention
    job: expired sessions go, then every device row whose session is gone. Returns how
    many device rows went. (SESSION_ENGINE is the database backend: settings.py.)"""
    from django.contrib.sessions.models import Session

    now = now or timezone.now()
    Session.objects.filter(expire_date__lte=now).delete()
    live = Session.objects.values("session_key")
    deleted, _ = UserSession.objects.exclude(session_key__in=live).delete()
    if deleted:
        # Like every other retention step, the deletion itself is on the record (a count,
        # never whose sessions: the rows are gone, and the log holds no personal data).
        record_event("account.ended_sessions_purged", actor=None, extra={"count": int(deleted)})
    return int(deleted)


# Countries a profile may name: ISO 3166-1 alpha-2 as phonenumbers knows them (the country
# is what phone numbers in the person's text are read by: hisho.inbound.regions_of), and
# the few ISO territories with no numbering plan of their own. "XX" names no country.
COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS) | {
    "AQ",
    "BV",
    "GS",
    "HM",
    "PN",
    "TF",
    "UM",
}

GRANT_DAYS = 7
NEEDS_SECOND_ADMIN = (
    "Giving someone a staff or partner role needs a second admin's approval: "
    "request it (PUT /api/v1/people/{id}/role), and another admin approves it."
)


def _apply_role(*, actor: User, user: User, role: Role, grant: RoleGrant | None = None) -> User:
    from hisho.desk.actions import do_release_errands_of

    previous = user.role
    user.role = role
    user.save(update_fields=["role"])
    # A changed role ends every session at once, so no open page keeps old powers.
    end_all_sessions(user)
    if previous == Role.ASSISTANT and role != Role.ASSISTANT:
        # Their errands go back to the queue, so no customer waits on them.
        do_release_errands_of(actor=actor, person=user)
    extra: dict[str, Any] = {"from": previous, "to": role.value}
    if grant is not None:
        extra["grant_id"] = grant.pk
    record_event("account.role_changed", actor=actor, target=user, extra=extra)
    return user


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput("role", "Not a known role.") from None


@transaction.atomic
def do_set_role(*, actor: User, user: User, role: str) -> User:
    """Take a person's role away (back to customer): at once, by one admin. Any other role
    goes through `do_request_role` and a second admin (DESIGN rule 11)."""
    require_role(actor, Role.ADMIN, detail="Only admins can manage roles.")
    new_role = _parse_role(role)
    if new_role != Role.CUSTOMER:
        raise Forbidden(NEEDS_SECOND_ADMIN)
    if user.pk == actor.pk:
        # An admin demoting themselves could leave the service with no admin at all.
        raise InvalidInput("role", "Admins cannot remove their own admin role.")
    user = User.objects.select_for_update().get(pk=user.pk)
    for grant in RoleGrant.objects.select_for_update().filter(
        person=user, status=GrantStatus.PENDING
    ):
        _decide(grant, actor=actor, status=GrantStatus.REJECTED, why="role_removed")
    if user.role == Role.CUSTOMER:
        return user
    return _apply_role(actor=actor, user=user, role=Role.CUSTOMER)


@transaction.atomic
def do_request_role(*, actor: User, user: User, role: str) -> User | RoleGrant:
    """One admin asks for `user` to get `role`. Back to customer: done at once (the
    person). Any other role: a pending grant, which changes nothing until a different admin
    approves it within GRANT_DAYS days (the grant)."""
    require_role(actor, Role.ADMIN, detail="Only admins can manage roles.")
    new_role = _parse_role(role)
    if new_role == Role.CUSTOMER:
        return do_set_role(actor=actor, user=user, role=role)
    if user.pk == actor.pk:
        raise InvalidInput("role", "Admins cannot change their own role.")
    if not user.is_active:
        raise Conflict("This account is deactivated.")
    if user.role == new_role:
        raise Conflict("This person already has that role.")
    now = timezone.now()
    pending = (
        RoleGrant.objects.select_for_update()
        .filter(person=user, role=new_role, status=GrantStatus.PENDING, expires_at__gt=now)
        .first()
    )
    if pending is not None:
        return pending  # asked already: the same request, not a second one
    grant = RoleGrant.objects.create(
        person=user,
        role=new_role,
        requested_by=actor,
        expires_at=now + dt.timedelta(days=GRANT_DAYS),
    )
    record_event(
        "account.role_requested",
        actor=actor,
        target=user,
        extra={"grant_id": grant.pk, "role": new_role.value},
    )
    _tell_person(grant, "requested")
    return grant


def _locked_pending_grant(grant_id: Any) -> RoleGrant:
    grant = RoleGrant.objects.select_for_update().select_related("person").filter(pk=grant_id)
    found = grant.first()
    if found is None:
        raise NotFound("No such role grant.")
    if found.current_status(timezone.now()) != GrantStatus.PENDING:
        raise Conflict(f"This request is {found.current_status(timezone.now())}, not pending.")
    return found


def _decide(grant: RoleGrant, *, actor: User, status: GrantStatus, why: str) -> None:
    grant.status = status
    grant.decided_by = actor
    grant.decided_at = timezone.now()
    grant.save(update_fields=["status", "decided_by", "decided_at"])
    record_event(
        f"account.role_grant_{status.value}",
        actor=actor,
        target=grant.person,
        extra={"grant_id": grant.pk, "role": grant.role, "why": why},
    )


@transaction.atomic
def do_approve_role_grant(*, actor: User, grant_id: Any) -> RoleGrant:
    """A second admin approves a pending grant: the role takes effect now. The admin who
    asked, and the person it is for, cannot approve it (403)."""
    require_role(actor, Role.ADMIN, detail="Only admins can approve roles.")
    grant = _locked_pending_grant(grant_id)
    if actor.pk in (grant.requested_by_id, grant.person_id):
        raise Forbidden("A different admin must approve this: no one approves their own request.")
    person = User.objects.select_for_update().get(pk=grant.person_id)
    if not person.is_active:
        raise Conflict("This account is deactivated.")
    # (A deleted asker's grant has none: SET_NULL.)
    asker = grant.requested_by
    if asker is None or not asker.is_active or asker.role != Role.ADMIN:
        # Four eyes means two admins: one demoted or deactivated since asking (perhaps for
        # asking) is one pair of eyes fewer. Nothing changes; the request expires.
        raise Conflict("The admin who asked for this is no longer an admin: ask again as one.")
    if grant.role in STAFF_ROLES and _staff_name_taken(person, person.display_name):
        # The same as renaming: a customer account named after a member of staff would
        # become a second "Kenji" (_check_staff_name).
        raise Conflict("Another member of staff goes by this person's name: they must change it.")
    _decide(grant, actor=actor, status=GrantStatus.APPROVED, why="approved")
    _apply_role(actor=actor, user=person, role=Role(grant.role), grant=grant)
    _tell_person(grant, "approved")
    return grant


@transaction.atomic
def do_reject_role_grant(*, actor: User, grant_id: Any) -> RoleGrant:
    """Any admin — the one who asked included — withdraws or refuses a pending grant."""
    require_role(actor, Role.ADMIN, detail="Only admins can reject roles.")
    grant = _locked_pending_grant(grant_id)
    _decide(grant, actor=actor, status=GrantStatus.REJECTED, why="rejected")
    _tell_person(grant, "rejected")
    return grant


_GRANT_MAIL = {
    "requested": (
        gettext_lazy("Hisho: a request to give you a new role"),
        gettext_lazy(
            "An admin asked for your Hisho account to get the role “%(role)s”. It takes "
            "effect only if a second admin approves it within %(days)s days; you will be "
            "told either way. If you did not expect this, write to the privacy contact."
        ),
    ),
    "approved": (
        gettext_lazy("Hisho: your new role"),
        gettext_lazy(
            "Your Hisho account now has the role “%(role)s”, approved by a second admin. "
            "Assistants and admins see nothing until they set up two-factor authentication "
            "and sign in with it."
        ),
    ),
    "rejected": (
        gettext_lazy("Hisho: a role request was withdrawn"),
        gettext_lazy(
            "The request to give your Hisho account the role “%(role)s” was not approved."
        ),
    ),
}


def _tell_person(grant: RoleGrant, step: str) -> None:
    """E-mail the person about a step of their grant, once the step has committed."""
    person_id, role = grant.person_id, grant.role

    def send() -> None:
        from hisho.notify.mail import email_person

        person = User.objects.filter(pk=person_id, is_active=True).first()
        if person is None or not person.email:
            return

        def compose() -> tuple[str, str]:
            title, body = _GRANT_MAIL[step]
            return str(title), str(body) % {"role": Role(role).label, "days": GRANT_DAYS}

        email_person(person, reference=f"role_grant:{grant.pk}:{step}", compose=compose)

    transaction.on_commit(send, robust=True)


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
    if not active and user.role == Role.ASSISTANT:
        from hisho.desk.actions import do_release_errands_of

        # Their errands go back to the queue, so no customer waits on them.
        do_release_errands_of(actor=actor, person=user)
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
        if field not in PROFILE_FIELDS and field not in PREFERENCE_FIELDS:
            raise InvalidInput(field, "Unknown field.")
        if field == "approve_assignees":
            value = bool(value) if value is None else value  # null clears: off
            if not isinstance(value, bool):
                raise InvalidInput(field, "true or false.")
            clean[field] = value
            continue
        if field in limits:
            scrubbed = scrub(field, "" if value is None else str(value), max_length=limits[field])
            cards_masked += scrubbed.cards_masked
            clean[field] = scrubbed.text
        elif field == "country":
            code = "" if value is None else str(value).strip().upper()
            if code and code not in COUNTRY_CODES:
                raise InvalidInput(field, "Use a two-letter country code (ISO 3166), e.g. JP.")
            clean[field] = code
        elif field == "language":
            code = "" if value is None else str(value).strip().lower()
            if code and code not in dict(settings.LANGUAGES):
                raise InvalidInput(field, "Not a language Hisho offers.")
            clean[field] = code
        elif field == "time_zone":
            name = "" if value is None else str(value).strip()
            if name and not is_known(name):
                raise InvalidInput(field, "Not a known time zone (an IANA name, e.g. Asia/Tokyo).")
            clean[field] = name
        elif field == "birth_year":
            if value is None:
                clean[field] = None
            else:
                this_year = timezone.now().year
                if not isinstance(value, int) or not 1900 <= value <= this_year:
                    raise InvalidInput(field, f"A year between 1900 and {this_year}.")
                clean[field] = value
    return clean, cards_masked


# Characters that show nothing but are no format character (Cf): variation selectors, the
# combining grapheme joiner, the Hangul fillers, Mongolian free variation selectors.
_INVISIBLE = frozenset(
    [
        0x034F,
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x3164,
        0xFFA0,
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)
# Letters of other scripts drawn exactly as a Latin letter (Unicode's confusables, for the
# Cyrillic and Greek letters a name is written with): "Кenji" with a Cyrillic К reads as
# "Kenji" on every page a customer sees.
_LOOKALIKES = str.maketrans(
    "АВЕЅІЈКМНОРСТХУҮԚԜаеѕіјорсухһԁԛԝӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧον",
    "ABESIJKMHOPCTXYYQWaesijopcyxhdqwlABEZHIKMNOPTYXov",
)


def _comparable_name(name: str) -> str:
    # Invisible characters (a zero-width space, a soft hyphen, a variation selector) and
    # letters of another script drawn alike would make "Kenji" another name that reads
    # the same.
    visible = "".join(
        c for c in name if unicodedata.category(c) != "Cf" and ord(c) not in _INVISIBLE
    )
    folded = unicodedata.normalize("NFKC", visible).translate(_LOOKALIKES).casefold()
    return " ".join(folded.split())


def _staff_name_taken(user: User, name: str) -> bool:
    wanted = _comparable_name(name)
    others = User.objects.filter(role__in=STAFF_ROLES).exclude(pk=user.pk)
    return any(_comparable_name(other.display_name) == wanted for other in others)


def _check_staff_name(actor: User, name: str) -> None:
    """A member of staff's name is all a customer is shown of who read their data ("Who
    saw my data", the assignment e-mail, the errand page): it may not be the name another
    member of staff is shown by, or an assistant an admin put on someone's errand could
    read it under the name of the assistant the customer trusts."""
    if actor.role in STAFF_ROLES and name and _staff_name_taken(actor, name):
        raise InvalidInput("name", "Another member of staff goes by this name: choose another.")


@transaction.atomic
def do_update_profile(*, actor: User, changes: dict[str, Any]) -> User:
    """Change one's own optional fields; an empty value or None clears a field."""
    clean, cards_masked = _clean_profile(changes)
    if "name" in clean and clean["name"] != actor.name:  # the profile form sends it unchanged
        _check_staff_name(actor, clean["name"])
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
