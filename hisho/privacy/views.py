"""Privacy pages. Thin: parse → access → action → render (house rule 6)."""

from __future__ import annotations

import base64
import json
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.accounts.principal import principal_of
from hisho.errors import ClientError, InvalidInput, MailUnavailable
from hisho.outages import RETRY_AFTER_SECONDS
from hisho.partners.access import my_releases
from hisho.privacy import cookies, plain
from hisho.privacy.actions import (
    do_acknowledge_policy,
    do_export_my_data,
    do_publish_policy_version,
    do_record_cookie_choice,
    do_send_contact_message,
    do_set_consent,
)
from hisho.privacy.actions.confirmation import LINK_NOT_FOUND, confirmation_for, do_confirm_consent
from hisho.privacy.actions.erasure import do_erase_account
from hisho.privacy.consents import consent_states, latest_version
from hisho.privacy.export import export_payload
from hisho.privacy.forms import ContactForm, PublishForm
from hisho.privacy.models import AcknowledgedHow, ConsentHow, PolicyVersion
from hisho.privacy.policy import LANGUAGES, Policy, current_policy
from hisho.privacy.presentation import policy_context
from hisho.redaction import masked_data
from hisho.redirects import back_to

SCHEMA_DIR = settings.PACKAGE_DIR / "privacy" / "schemas"


def _language(request: HttpRequest, language: str | None) -> str:
    if language is None:
        return "ja" if (request.LANGUAGE_CODE or "")[:2] == "ja" else "en"
    if language not in LANGUAGES:
        raise Http404
    return language


@require_safe
def policy_page(request: HttpRequest, language: str | None = None) -> HttpResponse:
    policy = current_policy()
    latest = latest_version()
    context = policy_context(policy, _language(request, language))
    context.update(
        version=latest,
        unpublished=latest is None or latest.digest != policy.digest,
        versions=PolicyVersion.objects.order_by("-number")[:100],
    )
    return render(request, "privacy/policy.html", context)


@require_safe
def policy_version_page(
    request: HttpRequest, number: int, language: str | None = None
) -> HttpResponse:
    version = get_object_or_404(PolicyVersion, number=number)
    context = policy_context(Policy.from_document(version.document), _language(request, language))
    context.update(version=version, past=True, versions=PolicyVersion.objects.order_by("-number"))
    return render(request, "privacy/policy.html", context)


@require_safe
def policy_json(request: HttpRequest) -> JsonResponse:
    """The policy as data: policy.yaml as Hisho applies it, and the version in force."""
    policy = current_policy()
    latest = latest_version()
    return JsonResponse(
        {
            "version": latest.number if latest else None,
            "published_at": latest.published_at.isoformat() if latest else None,
            "published": latest is not None and latest.digest == policy.digest,
            "digest": policy.digest,
            "policy": policy.document,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def schema_file(request: HttpRequest, name: str) -> FileResponse:
    if name not in ("export", "erasure-receipt"):
        raise Http404
    return FileResponse(
        (SCHEMA_DIR / f"{name}.schema.json").open("rb"), content_type="application/schema+json"
    )


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return back_to(request, request.POST.get("next", ""), fallback)


def cookie_settings(request: HttpRequest) -> HttpResponse:
    """GET: the choice and what it means. POST: accept or reject all (banner or page)."""
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice not in (cookies.ACCEPT, cookies.REJECT):
            messages.error(request, _("Choose Accept or Reject all."))
            return redirect("privacy_cookies")
        user: Any = request.user
        if user.is_authenticated:
            how = (
                ConsentHow.COOKIE_BANNER
                if request.POST.get("from") == "banner"
                else (ConsentHow.COOKIE_SETTINGS)
            )
            do_record_cookie_choice(actor=user, accept=choice == cookies.ACCEPT, how=how)
        response = _back(request, "privacy_cookies")
        cookies.remember_choice(response, choice)
        messages.success(request, _("Your cookie choice is saved."))
        return response
    return render(
        request,
        "privacy/cookies.html",
        {
            "gpc": cookies.gpc(request),
            "choice": cookies.browser_choice(request),
            "analytics": cookies.allowed(request, "usage_analytics"),
            # In the reader's language, like the policy page the table comes from.
            "policy_cookies": policy_context(current_policy(), _language(request, None))["cookies"],
        },
    )


def contact(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ContactForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            do_send_contact_message(
                actor=user if user.is_authenticated else None,
                topic=form.cleaned_data["topic"],
                reply_to=form.cleaned_data["reply_to"],
                message=form.cleaned_data["message"],
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except MailUnavailable:
            # Nothing was recorded (the action is one transaction); the message goes back
            # into the form, so the person loses nothing and can send it again.
            status = 503
            form.add_error(
                None,
                _(
                    "We could not send your message just now. It is still below: "
                    "please send it again in a few minutes."
                ),
            )
        else:
            messages.success(request, _("Thank you. Your message went to our privacy contact."))
            return redirect("privacy_contact")
    if form.is_bound and form.errors:
        # The form shown again passes DLP too: no card number echoed (POLICY K9).
        form.data = masked_data(form.data)
    response = render(
        request,
        "privacy/contact.html",
        {"form": form, "contact_email": settings.HISHO_PRIVACY_CONTACT_EMAIL},
        status=status,
    )
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    policy = current_policy()
    language = _language(request, None)
    data = export_payload(principal)
    recipients = {k: r.name(language) for k, r in policy.recipients.items()}
    purposes = {k: p.title(language) for k, p in policy.purposes.items()}
    data_titles = {k: d.title(language) for k, d in policy.data.items()}
    kinds = policy_context(policy, language)["data"]
    return render(
        request,
        "privacy/my_data.html",
        {
            "data": data,
            "kinds": kinds,
            "disclosures": [
                {
                    **d,
                    "recipient_name": recipients.get(d["recipient"], d["recipient"]),
                    "purpose_title": purposes.get(d["purpose"], d["purpose"]),
                    # What was sent, in words: the export keeps the policy's data keys.
                    "data_titles": [data_titles.get(k, k) for k in d["data"]],
                }
                for d in data["disclosures"]
            ],
            "is_customer": principal.role == Role.CUSTOMER,
            # Plain words beside the export's machine keys (hisho/privacy/plain.py).
            "role_label": plain.role_label(data["account"]["role"]),
            "profile_rows": plain.profile_rows(data["profile"]),
            "errands": [
                {**e, "status_label": plain.status_label(e["status"])} for e in data["errands"]
            ],
            "access_log": [
                {
                    **e,
                    "action_label": plain.action_label(e["action"]),
                    "role_label": plain.role_label(e["actor_role"]),
                }
                for e in data.get("access_log", [])
            ],
            "consents": [
                {**c, "title": purposes.get(c["purpose"], c["purpose"])} for c in data["consents"]
            ],
            "releases": my_releases(principal) if principal.role == Role.CUSTOMER else None,
        },
    )


@login_required
@require_safe
@reauthentication_required
def export_download(request: HttpRequest) -> HttpResponse:
    document = do_export_my_data(principal=principal_of(request))
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="hisho-export.json"'
    return response


@login_required
def consents_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        granted = request.POST.get("granted")
        if granted not in ("1", "0"):
            messages.error(request, _("Choose Allow or Don't allow."))
        else:
            do_set_consent(
                actor=user,
                purpose=request.POST.get("purpose", ""),
                granted=granted == "1",
                how=ConsentHow.WEB_FORM,
            )
            messages.success(request, _("Saved."))
        return redirect("privacy_consents")
    language = _language(request, None)
    states = [
        {
            "key": s.purpose.key,
            "title": s.purpose.title(language),
            "description": s.purpose.description(language),
            "state": s,
        }
        for s in consent_states(user)
    ]
    return render(request, "privacy/consents.html", {"states": states, "gpc": cookies.gpc(request)})


@require_POST
@login_required
def acknowledge(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        number = int(request.POST.get("version", ""))
        version = do_acknowledge_policy(actor=user, number=number, how=AcknowledgedHow.WEB)
    except ValueError:
        messages.error(request, _("That policy version is not known."))
        return _back(request, "privacy")
    except ClientError as exc:
        messages.error(request, exc.detail)
        return _back(request, "privacy")
    renewed = PolicyVersion.objects.get(pk=version.version_id).renewed_purposes
    if renewed:
        messages.info(request, _("This version asks about something new: choose below."))
        return redirect("privacy_consents")
    return _back(request, "privacy")


def _require_customer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    require_role(user, Role.CUSTOMER, detail="Only customers can erase their own account.")
    return user


@login_required
@reauthentication_required(allow_get=True)
def erase(request: HttpRequest) -> HttpResponse:
    """GET: what erasure does. POST (after re-authentication): erase, sign out, and hand
    over the signed receipt — the only copy."""
    user = _require_customer(request)
    if request.method != "POST":
        return render(request, "privacy/erase.html")
    if request.POST.get("confirm") != "erase":
        messages.error(request, _("Tick the box to confirm."))
        return redirect("privacy_erase")
    try:
        receipt = do_erase_account(actor=user)
    except ClientError as exc:
        messages.error(request, exc.detail)
        return redirect("privacy_erase")
    # Erasure already ended every session. Not logout(): its signal would write a new
    # audit event naming the person the log has just forgotten.
    request.session.flush()
    request.user = AnonymousUser()
    text = json.dumps(receipt, ensure_ascii=False, indent=2)
    return render(
        request,
        "privacy/erased.html",
        {
            "receipt": receipt["payload"],
            "receipt_rows": plain.receipt_rows(receipt["payload"]["erased"]),
            "kept_rows": plain.kept_rows(receipt["payload"]["kept"]),
            "receipt_text": text,
            "receipt_b64": base64.b64encode(text.encode()).decode(),
        },
    )


@login_required
def staff_versions(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    require_role(user, Role.ADMIN, detail="Only admins publish policy versions.")
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = do_publish_policy_version(actor=user, **form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except ClientError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request, _("Version %(number)s is published.") % {"number": version.number}
            )
            return redirect("privacy_staff")
    latest = latest_version()
    return render(
        request,
        "privacy/staff.html",
        {
            "form": form,
            "versions": PolicyVersion.objects.order_by("-number")[:100],
            "unpublished": latest is None or latest.digest != current_policy().digest,
        },
    )


def confirm_consent(request: HttpRequest, token: str) -> HttpResponse:
    """The double opt-in link. GET only shows what following it does (mail scanners open
    links); the button POSTs. No sign-in needed: the signed link is the proof."""
    try:
        confirmation = confirmation_for(token)
        if request.method == "POST":
            do_confirm_consent(token=token)
            done = True
        else:
            done = False
    except ClientError as error:
        return render(request, "privacy/confirm.html", {"problem": error.detail}, status=409)
    except Http404:
        return render(request, "privacy/confirm.html", {"problem": LINK_NOT_FOUND}, status=404)
    purpose = current_policy().purposes[confirmation.purpose]
    language = _language(request, None)
    return render(
        request,
        "privacy/confirm.html",
        {"purpose_title": purpose.title(language), "done": done},
    )
