"""Admin pages for legal disclosure cases. Thin: parse → access → action → render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hisho.accounts.models import User
from hisho.accounts.principal import principal_of
from hisho.errors import ClientError, InvalidInput
from hisho.legal.access import access_case, cases_for, require_admin
from hisho.legal.actions import (
    do_approve_case,
    do_defer_notice,
    do_export_case,
    do_open_case,
    do_reject_case,
)
from hisho.legal.forms import CaseForm, DeferForm, ReasonForm
from hisho.legal.models import DisclosureGrant


def _admin(request: HttpRequest) -> User:
    require_admin(request.user)  # Forbidden: a 403 page on the web
    return request.user  # type: ignore[return-value]


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = do_open_case(actor=admin, **form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Case opened. A second admin must approve it.")
            return redirect("legal_case", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "legal/case_list.html",
        {"cases": cases_for(admin)[:200], "form": form},
        status=status,
    )


@login_required
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    admin = _admin(request)
    case = access_case(admin, case_id)
    return render(
        request,
        "legal/case_detail.html",
        {
            "case": case,
            "grant": DisclosureGrant.objects.filter(case=case).first(),
            "reject_form": ReasonForm(),
            "defer_form": DeferForm(),
            "may_approve": case.status == "open" and case.opened_by_id != admin.pk,
            "may_export": admin.pk in (case.opened_by_id, case.decided_by_id),
        },
    )


def _step(request: HttpRequest, case_id: str, done: str, run: object) -> HttpResponse:
    admin = _admin(request)
    case = access_case(admin, case_id)
    try:
        run(admin, case)  # type: ignore[operator]
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("legal_case", case_id=case.pk)


@require_POST
@login_required
def approve(request: HttpRequest, case_id: str) -> HttpResponse:
    return _step(
        request, case_id, "Approved.", lambda admin, case: do_approve_case(actor=admin, case=case)
    )


@require_POST
@login_required
def reject(request: HttpRequest, case_id: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _admin(request)
        messages.error(request, "Give a reason for the rejection.")
        return redirect("legal_case", case_id=case_id)
    reason = form.cleaned_data["reason"]
    return _step(
        request,
        case_id,
        "Rejected.",
        lambda admin, case: do_reject_case(actor=admin, case=case, reason=reason),
    )


@require_POST
@login_required
def defer(request: HttpRequest, case_id: str) -> HttpResponse:
    form = DeferForm(request.POST)
    if not form.is_valid():
        _admin(request)
        messages.error(request, "Give the date the person will be told, and why not now.")
        return redirect("legal_case", case_id=case_id)
    until, reason = form.until_moment(), form.cleaned_data["reason"]
    return _step(
        request,
        case_id,
        "Notice deferred.",
        lambda admin, case: do_defer_notice(actor=admin, case=case, until=until, reason=reason),
    )


@require_POST
@login_required
def export(request: HttpRequest, case_id: str) -> HttpResponse:
    admin = _admin(request)
    case = access_case(admin, case_id)
    try:
        document = do_export_case(principal=principal_of(request), case=case)
    except ClientError as exc:
        messages.error(request, exc.detail)
        return redirect("legal_case", case_id=case.pk)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="disclosure-{case.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response
