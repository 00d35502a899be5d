"""Payment pages and the webhook receiver. Thin: parse → access → action → render.

- the errand page's payment section (hisho/desk/templates/desk/errand_detail.html) posts
  here: request (assignee), pay (owner: a 303 to the provider's hosted page), refund;
- /payments/<id>/return/: where the provider sends the customer back;
- /payments/<id>/receipt/: the signed receipt (JSON download);
- POST /webhooks/payments/<provider>: provider-signed webhooks (no session, no CSRF);
- /sandbox-pay/<session>/: the sandbox provider's hosted page (embedded shape only).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.accounts.principal import principal_of
from hisho.desk.access import access_errand
from hisho.errors import ClientError, InvalidInput, NotFound
from hisho.payments.access import PAY, REFUND, access_payment_request, read_descriptions
from hisho.payments.actions import (
    do_create_payment_request,
    do_receive_webhook,
    do_refund_payment,
    do_start_checkout,
)
from hisho.payments.actions.requests import AMOUNT_MAX, DESCRIPTION_MAX
from hisho.payments.actions.sandbox import OUTCOMES, do_settle_sandbox_session
from hisho.payments.models import SandboxSession
from hisho.payments.providers import provider_for
from hisho.payments.providers.sandbox import SandboxProvider, signature_header
from hisho.payments.receipts import signed_receipt
from hisho.problems import problem_response


class PaymentRequestForm(forms.Form):
    amount = forms.IntegerField(min_value=1, max_value=AMOUNT_MAX)
    description = forms.CharField(max_length=DESCRIPTION_MAX)


class RefundForm(forms.Form):
    amount = forms.IntegerField(min_value=1, max_value=AMOUNT_MAX, required=False)


def site_of(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_POST
@login_required
def request_payment(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, detail=_("Only the errand's assistant can do this."))
    errand = access_errand(principal, errand_id)
    form = PaymentRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A payment request needs an amount in yen and a description."))
    else:
        try:
            do_create_payment_request(
                actor=principal.user,
                errand=errand,
                amount=form.cleaned_data["amount"],
                currency="JPY",
                description=form.cleaned_data["description"],
            )
        except ClientError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Payment request sent."))
    return redirect("errand_detail", errand_id=errand.pk)


@require_POST
@login_required
def pay(request: HttpRequest, payment_id: str) -> HttpResponse:
    """To the provider's hosted page: a redirect, never a frame or a script here."""
    principal = principal_of(request)
    require_role(principal, Role.CUSTOMER, detail=_("Only customers pay payment requests."))
    payment = access_payment_request(principal, payment_id, what=PAY)
    try:
        checkout = do_start_checkout(actor=principal.user, payment=payment, site=site_of(request))
    except ClientError as exc:
        messages.error(request, exc.detail)
        return redirect("errand_detail", errand_id=payment.errand_id)
    return redirect(checkout.url, permanent=False)


@require_GET
@login_required
def checkout_return(request: HttpRequest, payment_id: str) -> HttpResponse:
    principal = principal_of(request)
    payment = access_payment_request(principal, payment_id, what=PAY)
    if request.GET.get("result") == "success":
        messages.info(
            request, _("Thank you. The payment's status updates here once the provider confirms.")
        )
    else:
        messages.info(request, _("Checkout was not completed. You can pay at any time."))
    return redirect("errand_detail", errand_id=payment.errand_id)


@require_POST
@login_required
def refund(request: HttpRequest, payment_id: str) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, Role.ADMIN, detail=_("Only staff can refund."))
    payment = access_payment_request(principal, payment_id, what=REFUND)
    form = RefundForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput("amount", _("A whole number of yen."))
        do_refund_payment(
            actor=principal.user, payment=payment, amount=form.cleaned_data["amount"] or None
        )
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Refunded."))
    if payment.errand_id is None:
        return redirect("errand_list")
    return redirect("errand_detail", errand_id=payment.errand_id)


@require_GET
@login_required
def receipt(request: HttpRequest, payment_id: str) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.CUSTOMER, detail=_("Receipts are for customers."))
    payment = access_payment_request(principal, payment_id, what=PAY)
    description = read_descriptions(principal, payment.errand, [payment])[payment.pk]
    try:
        document = signed_receipt(payment, description)
    except ClientError as exc:
        messages.error(request, exc.detail)
        return redirect("errand_detail", errand_id=payment.errand_id)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="hisho-receipt-{payment.pk}.json"'
    return response


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's webhook: 200 when taken (applied, or a harmless repeat), 400 with
    nothing changed when refused. Never a session, never a cookie."""
    try:
        chosen = provider_for(provider)
    except NotFound:
        return problem_response(404, "No such payment provider.")
    try:
        body = request.body
    except RequestDataTooBig:
        return problem_response(413, "The request body is too large.")
    outcome = do_receive_webhook(
        provider=chosen, body=body, signature=request.headers.get("Stripe-Signature")
    )
    if not outcome.accepted:
        return problem_response(400, f"Webhook refused ({outcome.result}); nothing changed.")
    return JsonResponse({"received": True, "result": outcome.result})


# --- The sandbox provider's hosted page ------------------------------------------------


def deliver_sandbox_webhook(body: bytes) -> None:
    """Send a webhook as Stripe would: the body signed with the endpoint's secret into a
    `Stripe-Signature` header, to the receiver behind /webhooks/payments/sandbox."""
    provider = SandboxProvider()
    do_receive_webhook(
        provider=provider,
        body=body,
        signature=signature_header(body, provider.webhook_secret()),
    )


def _sandbox_session(session_id: str) -> SandboxSession:
    provider_for("sandbox")  # 404 unless the sandbox is enabled
    session = SandboxSession.objects.filter(pk=session_id).first()
    if session is None:
        raise NotFound("No such checkout.")
    return session


@require_GET
def sandbox_page(request: HttpRequest, session_id: str) -> HttpResponse:
    session = _sandbox_session(session_id)
    return render(request, "payments/sandbox_pay.html", {"session": session})


@require_POST
def sandbox_act(request: HttpRequest, session_id: str, outcome: str) -> HttpResponse:
    session = _sandbox_session(session_id)
    if outcome not in OUTCOMES:
        raise NotFound("No such checkout.")
    try:
        body = do_settle_sandbox_session(actor=None, session_id=session.pk, outcome=outcome)
    except ClientError as exc:
        messages.error(request, exc.detail)
        return redirect("sandbox_pay", session_id=session.pk)
    deliver_sandbox_webhook(body)
    event = json.loads(body)["data"]["object"]
    done = event["status"] == "complete" and outcome != "fail"
    return redirect(event["success_url"] if done else event["cancel_url"])
