"""Profile and role management (the partner area is hisho/partners/views.py)."""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hisho.accounts.access import read_profile, require_role
from hisho.accounts.actions import (
    PROFILE_FIELDS,
    do_approve_role_grant,
    do_reject_role_grant,
    do_remove_social_account,
    do_request_role,
    do_update_profile,
)
from hisho.accounts.forms import ProfileForm, RoleForm
from hisho.accounts.models import GrantStatus, Role, RoleGrant, User
from hisho.accounts.principal import principal_of
from hisho.accounts.social import connected_accounts
from hisho.errors import ClientError, InvalidInput, NotFound
from hisho.inbound import tell_about_cards
from hisho.redirects import back_to


@login_required
def me(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    profile = read_profile(principal, user)
    initial: dict[str, Any] = {field: getattr(profile, field) or "" for field in PROFILE_FIELDS}
    initial["approve_assignees"] = profile.approve_assignees
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {f: (v if v not in ("", None) else None) for f, v in form.cleaned_data.items()}
        try:
            user = do_update_profile(actor=user, changes=changes)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            tell_about_cards(request, user, user.cards_masked)
            messages.success(request, _("Saved."))
            return redirect("me")
    return render(request, "accounts/me.html", {"form": form, "profile": profile})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch in the navigation: kept on the profile of a signed-in person
    (so that e-mails follow it too), and in the language cookie for everyone."""
    code = request.POST.get("language", "")
    response = back_to(request, request.POST.get("next", ""), "/")
    if code not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        do_update_profile(actor=principal_of(request).user, changes={"language": code})
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _require_admin(request: HttpRequest) -> User:
    principal = principal_of(request)
    user = principal.user
    require_role(principal, Role.ADMIN, detail="Only admins can manage people.")
    return user


@login_required
def people(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    wanted = request.GET.get("role", "staff")
    everyone = User.objects.order_by("id")
    if wanted in Role.values:
        listed = everyone.filter(role=wanted)
    else:
        wanted = "staff"
        listed = everyone.exclude(role=Role.CUSTOMER)
    now = timezone.now()
    pending = (
        RoleGrant.objects.filter(status=GrantStatus.PENDING, expires_at__gt=now)
        .select_related("person", "requested_by")
        .order_by("requested_at")
    )
    return render(
        request,
        "accounts/people.html",
        {"people": listed[:500], "roles": Role.choices, "wanted": wanted, "pending": pending},
    )


@require_POST
@login_required
def set_role(request: HttpRequest, person_id: int) -> HttpResponse:
    admin = _require_admin(request)
    person = User.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound("No such person.")
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
    else:
        try:
            result = do_request_role(actor=admin, user=person, role=form.cleaned_data["role"])
        except ClientError as exc:
            messages.error(request, exc.detail)
        else:
            if isinstance(result, RoleGrant):
                messages.success(
                    request,
                    _("Requested. The role takes effect when another admin approves it."),
                )
            else:
                messages.success(request, _("Role removed."))
    return redirect("people")


@require_POST
@login_required
def decide_role_grant(request: HttpRequest, grant_id: str, decision: str) -> HttpResponse:
    admin = _require_admin(request)
    try:
        grant_uuid = uuid.UUID(grant_id)
    except ValueError:
        raise NotFound("No such role grant.") from None
    # Only the two decisions the page offers: a mistyped one ("approved") is not found,
    # never taken for a rejection of the grant.
    if decision not in ("approve", "reject"):
        raise NotFound("No such decision.")
    decide = do_approve_role_grant if decision == "approve" else do_reject_role_grant
    try:
        decide(actor=admin, grant_id=grant_uuid)
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _("Approved: the role is in effect.") if decision == "approve" else _("Rejected."),
        )
    return redirect("people")


@login_required
def connected(request: HttpRequest) -> HttpResponse:
    """What each sign-in provider returned (POLICY K2), with a way to delete it."""
    principal = principal_of(request)
    user = principal.user
    return render(request, "accounts/connected.html", {"accounts": connected_accounts(user, user)})


@require_POST
@login_required
@reauthentication_required
def remove_connected(request: HttpRequest, account_id: int) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    try:
        do_remove_social_account(actor=user, account_id=account_id)
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Disconnected. What the provider sent us is deleted."))
    return redirect("connected_accounts")
