"""Outreach pages: one-click unsubscribe (RFC 8058), the survey form, the processors'
webhook. Thin: parse → access → action → render (house rule 6)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from hisho.accounts.principal import principal_of
from hisho.errors import ClientError, InvalidInput
from hisho.outreach.access import (
    access_campaign,
    access_invitation,
    campaign_counts,
    campaigns_for,
)
from hisho.outreach.actions import (
    delivery_for,
    do_answer_survey,
    do_create_campaign,
    do_start_campaign,
    do_suppress_address,
    do_unsubscribe,
)
from hisho.outreach.mail import SURVEY, UNSUBSCRIBE
from hisho.outreach.results import MIN_GROUP, results
from hisho.outreach.webhooks import BadWebhook, parse
from hisho.problems import problem_response
from hisho.textcheck import small_int

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
                number = small_int(raw)
                value = raw if number is None else number
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


# --- Admins: campaigns on the web (the same actions as POST /api/v1/outreach/campaigns) ---

SURVEY_QUESTIONS_ON_PAGE = 3


def _questions_from(request: HttpRequest) -> list[dict[str, object]]:
    """The survey form's rows (kind, English, Japanese); rows left empty are skipped. The
    action checks everything else (hisho/outreach/questions.py)."""
    questions: list[dict[str, object]] = []
    for i in range(SURVEY_QUESTIONS_ON_PAGE):
        en = request.POST.get(f"q{i}_en", "")
        ja = request.POST.get(f"q{i}_ja", "")
        if not en.strip() and not ja.strip():
            continue
        kind = request.POST.get(f"q{i}_kind", "scale")
        question: dict[str, object] = {"kind": kind, "text": {"en": en, "ja": ja}}
        if kind == "scale":
            question |= {"min": 1, "max": 5}
        questions.append(question)
    return questions


@login_required
def staff_campaigns(request: HttpRequest) -> HttpResponse:
    """GET: the campaigns, their status and delivery counts, and the form for a new one.
    POST: a draft, as the API makes it."""
    principal = principal_of(request)
    campaigns = campaigns_for(principal)  # 403 for anyone but an admin
    form = request.POST if request.method == "POST" else None
    status = 200
    if form is not None:
        kind = form.get("kind", "")
        try:
            do_create_campaign(
                actor=principal,
                kind=kind,
                subject={"en": form.get("subject_en", ""), "ja": form.get("subject_ja", "")},
                body={"en": form.get("body_en", ""), "ja": form.get("body_ja", "")},
                questions=_questions_from(request) if kind == "survey" else None,
            )
        except ClientError as exc:
            messages.error(request, exc.detail)
            status = 422
        else:
            messages.success(request, _("Saved as a draft: nothing is sent until you send it."))
            return redirect("outreach_staff")
    rows = [{"campaign": c, "counts": campaign_counts(c)} for c in campaigns[:100]]
    return render(
        request,
        "outreach/staff_campaigns.html",
        {
            "rows": rows,
            "form": form,
            "question_rows": range(SURVEY_QUESTIONS_ON_PAGE),
            "ja": str(getattr(request, "LANGUAGE_CODE", "en"))[:2] == "ja",
        },
        status=status,
    )


@require_POST
@login_required
def staff_send_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    principal = principal_of(request)
    campaign = access_campaign(principal, campaign_id)
    try:
        campaign = do_start_campaign(actor=principal, campaign=campaign)
        messages.success(request, _("Sending to everyone who agreed to receive it."))
    except ClientError as exc:
        messages.error(request, exc.detail)
    return redirect("outreach_staff_campaign", campaign_id=campaign.pk)


@login_required
@require_safe
def staff_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    """One campaign: what was written, delivery counts and, for a survey, the aggregate
    results (groups below MIN_GROUP suppressed, as in the API)."""
    campaign = access_campaign(principal_of(request), campaign_id)
    ja = str(getattr(request, "LANGUAGE_CODE", "en"))[:2] == "ja"
    shown = results(campaign) if campaign.kind == "survey" else []
    for entry, question in zip(shown, campaign.questions, strict=True):
        # A choice's cells are keyed by option: show the option's words instead.
        options = question.get("options") or []
        for cell in entry["cells"]:
            if question["kind"] == "choice" and cell["key"] < len(options):
                cell["label"] = options[cell["key"]]["ja" if ja else "en"]
            else:
                cell["label"] = cell["key"]
    return render(
        request,
        "outreach/staff_campaign.html",
        {
            "campaign": campaign,
            "counts": campaign_counts(campaign),
            "results": shown,
            "min_group": MIN_GROUP,
            "ja": ja,
        },
    )
