"""Pages for the assistant tools and the customer's confirm/reopen/rating (issue 18).

Thin: parse → access → action → redirect (house rule 6); the errand page shows them
(`errand_tools` builds its part of the context)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.accounts.principal import Principal, principal_of
from hisho.desk.access import access_errand, access_errand_triage
from hisho.desk.actions import (
    assistants_may_claim,
    do_claim_errand,
    do_confirm_done,
    do_hand_back_errand,
    do_reopen_errand,
)
from hisho.desk.models import CannedReply, Errand, Label, Status
from hisho.desk.tools import canned
from hisho.desk.tools.actions import (
    LABEL_NAME_MAX,
    do_add_internal_note,
    do_create_canned_reply,
    do_create_label,
    do_delete_canned_reply,
    do_delete_label,
    do_rate_errand,
    do_set_errand_labels,
    do_update_canned_reply,
    do_update_label,
)
from hisho.desk.tools.labels import all_labels, labels_of
from hisho.desk.tools.sealed import (
    MIN_RATINGS,
    NOTE_MAX,
    RATING_COMMENT_MAX,
    access_errand_notes,
    access_errand_rating,
    is_current_assignee,
    own_average,
    rating_averages,
    read_notes,
    read_rating,
)
from hisho.errors import ClientError, NotFound
from hisho.inbound import tell_about_cards
from hisho.textcheck import small_id


class NoteForm(forms.Form):
    # Used with prefix "note": the chat's message box on the same page is `body` (one
    # id and one name per field on a page).
    body = forms.CharField(
        label=gettext_lazy("New note"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional, only you see it)"),
        max_length=RATING_COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LabelForm(forms.Form):
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=LABEL_NAME_MAX)
    name_ja = forms.CharField(label=gettext_lazy("Name in Japanese"), max_length=LABEL_NAME_MAX)


class CannedForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=canned.TITLE_MAX)
    body_en = forms.CharField(
        label=gettext_lazy("Text in English"),
        max_length=canned.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    body_ja = forms.CharField(
        label=gettext_lazy("Text in Japanese"),
        max_length=canned.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def errand_tools(request: HttpRequest, principal: Principal, errand: Errand) -> dict[str, Any]:
    """What the errand page shows of the tools, for a participant."""
    language = get_language()
    labels = labels_of([errand.pk])[errand.pk]
    context: dict[str, Any] = {"labels": [label.name_in(language) for label in labels]}
    if errand.customer_id == principal.pk:
        rating = read_rating(principal, errand) if errand.status == Status.DONE else None
        initial = {"stars": rating.stars, "comment": rating.comment} if rating else None
        context.update(
            can_confirm=errand.status == Status.DONE and errand.confirmed_at is None,
            rating=rating,
            rating_form=RatingForm(initial=initial) if errand.status == Status.DONE else None,
        )
    elif is_current_assignee(principal, errand):
        set_ids = {label.pk for label in labels}
        replies = list(CannedReply.objects.order_by("id"))
        chosen = request.GET.get("canned", "")
        filled = next((canned.fill(r, errand) for r in replies if str(r.pk) == chosen), None)
        context.update(
            is_assignee=True,
            notes=read_notes(principal, errand),
            note_form=NoteForm(prefix="note"),
            label_choices=[
                (label.pk, label.name_in(language), label.pk in set_ids) for label in all_labels()
            ],
            canned_replies=replies,
            canned_text=filled,
        )
    return context


def label_param(request: HttpRequest) -> int | None:
    """`?label=<id>` of the errand list (anything else: no filter)."""
    return small_id(request.GET.get("label", ""))


def label_filter(principal: Principal) -> list[tuple[int, str]]:
    """The labels an assistant may filter their list by."""
    if principal.role != Role.ASSISTANT:
        return []
    language = get_language()
    return [(label.pk, label.name_in(language)) for label in all_labels()]


def list_labels(errands: list[Errand]) -> dict[Any, list[str]]:
    language = get_language()
    found = labels_of(e.pk for e in errands)
    return {e.pk: [label.name_in(language) for label in found[e.pk]] for e in errands}


def triage_tools(principal: Principal, errand: Errand) -> dict[str, Any]:
    in_queue = errand.assignee_id is None and errand.status == Status.NEW
    may_claim = principal.role == Role.ASSISTANT and in_queue and assistants_may_claim()
    holds = principal.role == Role.ASSISTANT and errand.assignee_id == principal.pk
    return {"may_claim": may_claim, "may_hand_back": holds and errand.is_open}


def _back(errand_id: Any) -> HttpResponse:
    return redirect("errand_detail", errand_id=errand_id)


@require_POST
@login_required
def claim(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, detail="Only assistants can claim errands.")
    errand = access_errand_triage(principal, errand_id)
    try:
        do_claim_errand(actor=principal.user, errand=errand)
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The errand is yours. The customer has been told."))
    return _back(errand.pk)


@require_POST
@login_required
def hand_back(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand_triage(principal, errand_id)
    if errand.assignee_id != principal.pk:
        raise NotFound("No such errand.")
    try:
        do_hand_back_errand(actor=principal.user, errand=errand)
    except ClientError as exc:
        messages.error(request, exc.detail)
        return _back(errand.pk)
    messages.success(request, _("You handed the errand back; it is in the queue again."))
    return redirect("errand_list")


@require_POST
@login_required
def confirm(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    try:
        do_confirm_done(actor=principal.user, errand=errand)
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Thank you: the errand is closed."))
    return _back(errand.pk)


@require_POST
@login_required
def reopen(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    try:
        do_reopen_errand(actor=principal.user, errand=errand)
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The errand is open again."))
    return _back(errand.pk)


@require_POST
@login_required
def rate(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand_rating(principal, errand_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose from one to five stars."))
        return _back(errand.pk)
    try:
        rating = do_rate_errand(
            actor=principal.user,
            errand=errand,
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
        )
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        tell_about_cards(request, principal.user, rating.cards_masked)
        messages.success(request, _("Thank you for your rating."))
    return _back(errand.pk)


@require_POST
@login_required
def add_note(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand_notes(principal, errand_id)
    form = NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        messages.error(request, _("A note needs some text (at most 4,000 characters)."))
        return _back(errand.pk)
    try:
        note = do_add_internal_note(
            actor=principal.user, errand=errand, body=form.cleaned_data["body"]
        )
    except ClientError as exc:
        messages.error(request, exc.detail)
    else:
        tell_about_cards(request, principal.user, note.cards_masked)
    return _back(errand.pk)


@require_POST
@login_required
def set_labels(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand_notes(principal, errand_id)
    ids = [small_id(value) for value in request.POST.getlist("label")]
    if None in ids:  # not an id: "٣", "-1", a number no label could have
        messages.error(request, _("Choose labels from the list."))
        return _back(errand.pk)
    try:
        do_set_errand_labels(
            actor=principal.user, errand=errand, label_ids=[i for i in ids if i is not None]
        )
    except ClientError as exc:
        messages.error(request, exc.detail)
    return _back(errand.pk)


def _change_listed(request: HttpRequest, admin: Any) -> bool:
    """The staff page's per-item buttons: rename or delete a label, rewrite or delete a
    canned reply (the actions check the role and the text). False: not such a POST."""
    kind, raw = request.POST.get("kind", ""), request.POST.get("id", "")
    if kind not in ("label_save", "label_delete", "canned_save", "canned_delete"):
        return False
    item_id = small_id(raw) or 0
    if kind.startswith("label"):
        label = Label.objects.filter(pk=item_id).first()
        if label is None:
            raise NotFound("No such label.")
        if kind == "label_delete":
            do_delete_label(actor=admin, label=label)
        else:
            do_update_label(
                actor=admin,
                label=label,
                name_en=request.POST.get("name_en", ""),
                name_ja=request.POST.get("name_ja", ""),
            )
        return True
    reply = CannedReply.objects.filter(pk=item_id).first()
    if reply is None:
        raise NotFound("No such canned reply.")
    if kind == "canned_delete":
        do_delete_canned_reply(actor=admin, reply=reply)
    else:
        do_update_canned_reply(
            actor=admin,
            reply=reply,
            title=request.POST.get("title", ""),
            body_en=request.POST.get("body_en", ""),
            body_ja=request.POST.get("body_ja", ""),
        )
    return True


@login_required
def staff_tools(request: HttpRequest) -> HttpResponse:
    """Admins: the label list, the canned replies, and the rating averages."""
    principal = principal_of(request)
    require_role(principal, Role.ADMIN, detail="Only admins manage the desk tools.")
    label_form = LabelForm(request.POST if request.POST.get("kind") == "label" else None)
    canned_form = CannedForm(request.POST if request.POST.get("kind") == "canned" else None)
    if request.method == "POST":
        try:
            if label_form.is_bound and label_form.is_valid():
                do_create_label(actor=principal.user, **label_form.cleaned_data)
                return redirect("desk_staff_tools")
            if canned_form.is_bound and canned_form.is_valid():
                do_create_canned_reply(actor=principal.user, **canned_form.cleaned_data)
                return redirect("desk_staff_tools")
            if _change_listed(request, principal.user):
                return redirect("desk_staff_tools")
        except ClientError as exc:
            messages.error(request, exc.detail)
    context = {
        "labels": all_labels(),
        "replies": CannedReply.objects.order_by("id"),
        "averages": rating_averages(),
        "min_ratings": MIN_RATINGS,
        "placeholders": [f"{{{p}}}" for p in canned.PLACEHOLDERS],
        "label_form": label_form,
        "canned_form": canned_form,
    }
    return render(request, "desk/staff_tools.html", context)


@login_required
def my_average(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    require_role(principal, Role.ASSISTANT, detail="Only assistants are rated.")
    context = {"average": own_average(principal.user), "min_ratings": MIN_RATINGS}
    return render(request, "desk/my_rating.html", context)
