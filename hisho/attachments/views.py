"""The errand page's file form without JavaScript (attachments.js sends the same file to
the API with a progress bar instead). Thin: parse → access → action → redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hisho.accounts.principal import principal_of
from hisho.attachments.actions import do_attach_file
from hisho.attachments.uploads import upload_was_too_large
from hisho.desk.access import access_errand
from hisho.errors import ClientError, InvalidInput


@require_POST
@login_required
def upload(request: HttpRequest, errand_id: str) -> HttpResponse:
    principal = principal_of(request)
    errand = access_errand(principal, errand_id)
    files = request.FILES.getlist("file")
    if upload_was_too_large(request):
        messages.error(request, _("The file is too large."))
    elif len(files) != 1:
        messages.error(request, _("Choose one file to attach."))
    else:
        try:
            do_attach_file(
                actor=principal.user,
                errand=errand,
                upload=files[0],
                language=principal.user.language or request.LANGUAGE_CODE,
            )
        except InvalidInput as exc:
            messages.error(request, exc.message)
        except ClientError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("File attached."))
    return redirect("errand_detail", errand_id=errand.pk)
