"""The notification checkboxes on the profile page (accounts/me.html) post here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hisho.accounts.principal import principal_of
from hisho.notify.actions import do_set_notification_prefs


@require_POST
@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = principal_of(request).user
    do_set_notification_prefs(
        actor=user,
        email=request.POST.get("email") == "on",
        push=request.POST.get("push") == "on",
    )
    messages.success(request, _("Saved."))
    return redirect("me")
