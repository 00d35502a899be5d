"""Outreach pages: one-click unsubscribe (RFC 8058), the survey form, the processors'
webhook. Thin: parse → access → action → render (house rule 6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hisho.accounts.principal import principal_of
from hisho.errors import ClientError, InvalidInput
from hisho.outreach.access import access_invitation
from hisho.outreach.actions import (
    delivery_for,
    do_answer_survey,
    do_suppress_address,
    do_unsubscribe,
)
from hisho.outreach.mail import SURVEY, UNSUBSCRIBE
from hisho.outreach.webhooks import BadWebhook, parse
from hisho.problems import problem_response

ONE_CLICK = "List-Unsubscribe=One-Click"


@csrf_exempt  # RFC 8058: the POST comes from the recipient's mail provider, with no session
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link does, with a button. POST `List-Unsubscribe=One-Click`: done."""
    try:
        delivery = delivery_for(UNSUBSCRIBE, token)
    except Http404:
        return render(request, "outreach/unsubscribe.html", {"problem": True}, status=404)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != "One-Click":
            return render(request, "outreach/unsubscribe.html", {"problem": True}, status=400)
        do_unsubscribe(token=token)
        return render(request, "outreach/unsubscribe.html", {"done": True})
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    kind = delivery.campaign.kind if delivery is not None else None
    return render(request, "outreach/unsubscribe.html", {"kind": kind, "one_click": ONE_CLICK})


@login_required
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey a link invites to — for the invited person only (others: 404)."""
    principal = principal_of(request)
    try:
        delivery = delivery_for(SURVEY, token)
        if delivery is None:
            raise Http404
        delivery = access_invitation(principal, delivery.pk)
    except Http404:
        return render(request, "outreach/survey.html", {"problem": True}, status=404)
    language = "ja" if request.LANGUAGE_CODE[:2] == "ja" else "en"
    error = None
    if request.method == "POST" and not delivery.answered:
        answers = []
        for index, question in enumerate(delivery.campaign.questions):
            raw = request.POST.get(f"q{index}", "").strip()
            if not raw:
                continue
            key = {"choice": "choice", "scale": "value", "text": "text"}[question["kind"]]
            value: object = raw
            if key != "text":
                value = int(raw) if raw.lstrip("-").isdigit() else raw
            answers.append({"question": index, key: value})
        try:
            do_answer_survey(actor=principal, delivery=delivery, answers=answers)
            delivery.answered = True
        except InvalidInput as invalid:
            error = invalid.message
        except ClientError as problem:
            error = problem.detail
    status = 422 if error else 200
    return render(
        request,
        "outreach/survey.html",
        {
            "campaign": delivery.campaign,
            "subject": delivery.campaign.subject(language),
            "questions": [
                {
                    "index": i,
                    "kind": q["kind"],
                    "text": q["text"][language],
                    "options": [o[language] for o in q.get("options", [])],
                    "steps": list(range(q.get("min", 0), q.get("max", -1) + 1)),
                }
                for i, q in enumerate(delivery.campaign.questions)
            ],
            "answered": delivery.answered,
            "error": error,
        },
        status=status,
    )


@csrf_exempt  # authenticated by its HMAC signature, not a session
@require_POST
def processor_webhook(request: HttpRequest, processor: str) -> HttpResponse:
    try:
        report = parse(processor, request.headers.get("Hisho-Signature", ""), request.body)
    except BadWebhook:
        return problem_response(400, _("The webhook is not signed, or not understood."))
    suppressed = False
    if report.reason is not None:
        suppressed = do_suppress_address(
            processor=report.processor, address=report.address, reason=report.reason
        )
    return JsonResponse({"ok": True, "suppressed": suppressed})
