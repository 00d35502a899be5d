"""Web pages for errands. Thin: parse → access → action → render (house rule 6)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.accounts.principal import principal_of
from hisho.attachments.access import page_context as attachments_context
from hisho.desk import lists
from hisho.desk.access import (
    access_errand,
    access_errand_triage,
    is_participant,
    triage_queue,
)
from hisho.desk.actions import (
    do_accept_assignee,
    do_assign_errand,
    do_assign_least_loaded,
    do_change_status,
    do_create_errand,
    do_post_message,
    do_request_other_assistant,
    least_loaded_assistant,
)
from hisho.desk.clocks import clocks_for
from hisho.desk.clocks import summary as clock_summary
from hisho.desk.content import (
    ErrandContent,
    MessageView,
    read_content,
    read_latest_messages,
    read_sealed,
)
from hisho.desk.forms import AssignForm, ErrandForm, ListForm, MessageForm, SearchForm, StatusForm
from hisho.desk.models import Errand
from hisho.desk.tools.views import (
    errand_tools,
    label_filter,
    label_param,
    list_labels,
    triage_tools,
)
from hisho.desk.triage import triage_card, triage_cards
from hisho.errors import ClientError, InvalidInput
from hisho.inbound import tell_about_cards
from hisho.inbox.actions import do_mark_read
from hisho.payments.api import payment_views
from hisho.search.actions import do_complete_errand_index
from hisho.textcheck import small_id
from hisho.vault.access import assignment_history


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if request.user.role == Role.PARTNER:
            return redirect("partner_home")
        return redirect("errand_list")
    return render(request, "desk/home.html")


LIST_PAGE_SIZE = 25


@login_required
def errand_list(request: HttpRequest) -> HttpResponse:
    """A customer's own errands by title; staff see triage cards (an assistant opens an
    errand to read it). Filtered, sorted and paged; unread counts for the people who
    read the chat, response-time clocks for staff. The queries do not grow with the rows."""
    principal = principal_of(request)
    require_role(
        principal, Role.CUSTOMER, Role.ASSISTANT, Role.ADMIN, detail="Partners have no errands."
    )
    form = ListForm(request.GET)
    if not form.is_valid():
        return render(request, "desk/errand_list.html", {"form": form, "rows": []}, status=400)
    errands = lists.errand_list(
        principal,
        status=form.cleaned_data["status"] or None,
        sort=form.cleaned_data["sort"] or lists.DEFAULT_SORT,
    )
    chosen = label_param(request)
    if chosen is not None:
        errands = errands.filter(label_links__label_id=chosen)
    page = Paginator(errands, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = lists.rows(principal, list(page.object_list))
    names = list_labels([row.errand for row in shown])
    context = {
        "form": form,
        "page": page,
        "elided_pages": page.paginator.get_elided_page_range(page.number),
        "rows": [replace(row, labels=names[row.errand.pk]) for row in shown],
        "chosen_label": chosen,
        "label_filter": label_filter(principal),
        "search_form": SearchForm() if principal.role != Role.ADMIN else None,
        "response_times": clock_summary() if principal.role == Role.ADMIN else None,
    }
    return render(request, "desk/errand_list.html", context)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, Role.ADMIN, detail="The queue is for staff.")
    errands = list(triage_queue(principal)[:200])
    cards = triage_cards(errands)
    # How long each customer has waited, in business hours (metadata only, one query).
    clocks = clocks_for(errands)
    rows = [{"errand": e, "card": cards[e.pk], "clocks": clocks[e.pk]} for e in errands]
    return render(request, "desk/queue.html", {"rows": rows})


@login_required
def errand_create(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    require_role(principal, Role.CUSTOMER, detail="Only customers can create errands.")
    form = ErrandForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            errand = do_create_errand(actor=user, **form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(_form_field(exc.field, form), exc.message)
        else:
            tell_about_cards(request, user, errand.cards_masked)
            messages.success(request, _("Your errand is in. An assistant will take it soon."))
            return redirect("errand_detail", errand_id=errand.pk)
    return render(request, "desk/errand_form.html", {"form": form})


def _form_field(field: str, form: Any) -> str | None:
    name = field.rsplit(".", 1)[-1]
    return name if name in form.fields else None


CHAT_SHOWN = 500


def _complete_search_index(
    user: User, errand: Errand, content: ErrandContent, chat: list[MessageView]
) -> None:
    """An errand older than the private search index becomes searchable when its customer
    or assistant opens it, from the text they have just read (docs/search.md). Only a
    chat read whole counts (the caller knows), and only what opened intact is indexed."""
    texts = [content.title, content.details] if content.intact else []
    texts += [message.body for message in chat if message.intact]
    do_complete_errand_index(actor=user, errand=errand, texts=texts)


@login_required
def errand_detail(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    errand = access_errand_triage(principal, errand_id)
    context: dict[str, Any] = {
        "errand": errand,
        "card": triage_card(errand),
        "message_form": MessageForm(),
    }
    if is_participant(principal, errand):
        # The latest messages (a long chat used to show its oldest 500, never the newest),
        # or, following "Earlier messages", those before a message.
        before = small_id(request.GET.get("before", ""))
        content, sealed = read_content(principal, errand), read_sealed(principal, errand)
        chat, older = read_latest_messages(principal, errand, limit=CHAT_SHOWN, before=before)
        context.update(
            content=content,
            sealed=sealed,
            chat=chat,
            earlier=chat[0].id if older else None,
            showing_earlier=before is not None,
            is_owner=errand.customer_id == user.pk,
            handlers=assignment_history(principal, errand),
            payments=payment_views(principal, errand),
        )
        context.update(errand_tools(request, principal, errand))
        if context.get("canned_text") is not None:
            context["message_form"] = MessageForm(initial={"body": context["canned_text"]})
        if chat:  # shown: read (the unread counts of the lists)
            do_mark_read(actor=user, errand=errand, up_to=max(m.id for m in chat))
        if not older and before is None:  # the whole chat was read
            _complete_search_index(user, errand, context["content"], chat)
        context.update(attachments_context(principal, errand))  # files in the chat
        return render(request, "desk/errand_detail.html", context)
    context.update(triage_tools(principal, errand))
    context["suggested"] = least_loaded_assistant() if user.is_admin else None
    context["assistants"] = (
        User.objects.filter(role=Role.ASSISTANT, is_active=True).order_by("id")
        if user.is_admin
        else []
    )
    return render(request, "desk/errand_triage.html", context)


@require_POST
@login_required
def post_message(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    errand = access_errand(principal, errand_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A message needs some text (at most 10,000 characters)."))
    else:
        try:
            message = do_post_message(actor=user, errand=errand, body=form.cleaned_data["body"])
        except ClientError as exc:
            messages.error(request, exc.detail)
        else:
            tell_about_cards(request, user, message.cards_masked)
    return redirect("errand_detail", errand_id=errand.pk)


@require_POST
@login_required
def change_status(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    errand = access_errand(principal, errand_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            do_change_status(actor=user, errand=errand, status=form.cleaned_data["status"])
        except ClientError as exc:
            messages.error(request, exc.detail)
    return redirect("errand_detail", errand_id=errand.pk)


@require_POST
@login_required
def assign(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    require_role(principal, Role.ADMIN, detail="Only admins can assign errands.")
    errand = access_errand_triage(principal, errand_id)
    form = AssignForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput("assistant_id", _("Choose an assistant."))
        if form.cleaned_data["strategy"] == "least_loaded":
            errand = do_assign_least_loaded(actor=user, errand=errand)
        elif form.cleaned_data["assistant_id"]:
            errand = do_assign_errand(
                actor=user, errand=errand, assistant_id=form.cleaned_data["assistant_id"]
            )
        else:
            raise InvalidInput("assistant_id", _("Choose an assistant."))
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        name = errand.assignee.display_name if errand.assignee else ""
        messages.success(request, _("Assigned to %(name)s.") % {"name": name})
    return redirect("errand_detail", errand_id=errand.pk)


@require_POST
@login_required
def other_assistant(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    try:
        do_request_other_assistant(actor=principal.user, errand=errand)
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, _("Done: that assistant no longer has your errand. Another one will take it.")
        )
    return redirect("errand_detail", errand_id=errand.pk)


@require_POST
@login_required
def accept_assistant(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    try:
        do_accept_assignee(actor=principal.user, errand=errand)
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Accepted: your assistant can now read your errand."))
    return redirect("errand_detail", errand_id=errand.pk)
