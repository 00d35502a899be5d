"""Partners' pages: the partner area, the offers review (admins), the public ledger and
the leaving notice every outbound offer link goes through (POLICY O6)."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.accounts.principal import principal_of
from hisho.errors import ClientError
from hisho.partners import access
from hisho.partners.actions import (
    OFFER_LANGUAGES,
    do_decide_offer,
    do_record_offer_click,
    do_release_report,
    do_submit_offer,
)
from hisho.partners.origins import partner_origin
from hisho.privacy.policy import current_policy

NO_REFERRER = "no-referrer"
# The notice's own policy: its button's POST must carry the page's Origin (CSRF checks it;
# under no-referrer a browser sends `Origin: null` and the POST is refused), and nothing
# goes to another site from the notice itself.
SAME_ORIGIN = "same-origin"


def _language(request: HttpRequest) -> str:
    return "ja" if str(getattr(request, "LANGUAGE_CODE", "en"))[:2] == "ja" else "en"


@login_required
@require_safe
def partner_home(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.PARTNER, detail="The partner area is for partners.")
    language = _language(request)
    policy = current_policy()
    return render(
        request,
        "partners/home.html",
        {
            "reports": [
                {"key": r.key, "title": r.title(language), "description": r.description(language)}
                for r in access.report_catalogue(principal)
            ],
            "catalogue": policy.partner_reports,
            "budget": access.partner_budget(principal),
            "releases": access.partner_releases(principal),
            "offers": access.partner_offers(principal),
            "categories": [(k, t(language)) for k, t in policy.errand_categories.items()],
            "languages": OFFER_LANGUAGES,
        },
    )


@require_POST
@login_required
def request_release(request: HttpRequest, name: str) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.PARTNER, detail="Reports are for partners.")
    raw = request.POST.get("epsilon", "").strip()
    try:
        epsilon = float(raw) if raw else None
    except ValueError:
        epsilon = -1.0  # the action explains the valid range
    try:
        do_release_report(actor=principal.user, report=name, epsilon=epsilon)
        messages.success(request, _("Released."))
    except ClientError as exc:
        messages.error(request, exc.detail)
    return redirect("partner_home")


@require_POST
@login_required
def submit_offer(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.PARTNER, detail="Offers are submitted by partners.")
    try:
        do_submit_offer(
            actor=principal.user,
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
            url=request.POST.get("url", ""),
            categories=request.POST.getlist("categories"),
            language=request.POST.get("language", ""),
        )
        messages.success(request, _("Submitted: an admin reviews it before it is shown."))
    except ClientError as exc:
        messages.error(request, exc.detail)
    return redirect("partner_home")


@login_required
@require_safe
def review_offers(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    return render(request, "partners/review.html", {"offers": access.offers_to_review(principal)})


@require_POST
@login_required
def decide_offer(request: HttpRequest, offer_id: str, decision: str) -> HttpResponse:
    principal = principal_of(request)
    offer = access.access_offer_for_review(principal, offer_id)
    if decision not in ("approve", "reject"):
        return redirect("offers_review")
    try:
        do_decide_offer(actor=principal.user, offer=offer, approve=decision == "approve")
        messages.success(request, _("Approved.") if decision == "approve" else _("Rejected."))
    except ClientError as exc:
        messages.error(request, exc.detail)
    return redirect("offers_review")


@require_safe
def releases_ledger(request: HttpRequest) -> HttpResponse:
    entries = access.ledger(before=request.GET.get("before"))
    older = entries[-1].id if len(entries) == access.LEDGER_PAGE else None
    return render(request, "partners/ledger.html", {"entries": entries, "older": older})


def leave(request: HttpRequest, offer_id: str) -> HttpResponse:
    """GET: the notice that the visitor is leaving Hisho. POST (its button): 303 to the
    partner's address, unchanged — nothing about the visitor is added to it — with no
    referrer. A signed-in customer's click is counted once, for DP releases only."""
    offer = access.access_approved_offer(offer_id)
    if request.method == "POST":
        user: Any = request.user if request.user.is_authenticated else None
        do_record_offer_click(actor=user, offer=offer)
        response: HttpResponse = HttpResponseRedirect(offer.url)
        response.status_code = 303
    elif request.method in ("GET", "HEAD"):
        origin = partner_origin(offer.url)
        # Where the button leads, by its host in ASCII (a look-alike in another script
        # shows as xn--…): a title may claim anything, even to be Hisho.
        destination = origin.split("://", 1)[1] if origin else None
        notice = render(
            request,
            "partners/leaving.html",
            {"offer": offer, "language": _language(request), "destination": destination},
        )
        notice["Referrer-Policy"] = SAME_ORIGIN
        # The button's POST is answered by a redirect to the partner's site, and a form's
        # redirect is governed by CSP form-action too: without the partner's origin there,
        # the browser stops at the notice (as for a checkout, docs/payments.md).
        if origin is not None:

            def the_notice(_request: HttpRequest) -> HttpResponse:
                return notice

            csp_update({"form-action": [origin]})(the_notice)(request)  # marks `notice`
        return notice
    else:
        response = HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    response["Referrer-Policy"] = NO_REFERRER
    return response
