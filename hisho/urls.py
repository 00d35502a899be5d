from __future__ import annotations

from pathlib import Path

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt

from hisho.api import api
from hisho.api_http import ALLAUTH_PREFIX, API_PREFIX
from hisho.problems import problem_response

_FAVICON = Path(__file__).resolve().parent / "static" / "hisho" / "favicon.ico"


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico whatever the page says; drawn by scripts/make_icons.py.
    return HttpResponse(_FAVICON.read_bytes(), content_type="image/x-icon")


@csrf_exempt  # the app client sends no CSRF token: it gets the 404, not the CSRF 403
def no_such_path(request: HttpRequest, client: str) -> HttpResponse:
    return problem_response(404, "No such endpoint.")


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("", include("hisho.push.urls")),  # the installable app: manifest, worker, offline
    path("", include("hisho.search.urls")),  # before the desk's errands/<errand_id>/
    path("", include("hisho.desk.urls")),
    path("", include("hisho.attachments.urls")),  # the errand page's file form
    path("", include("hisho.accounts.urls")),
    path("", include("hisho.vault.urls")),
    path("", include("hisho.signing.urls")),
    path("", include("hisho.audit.urls")),
    path("", include("hisho.legal.urls")),
    path("", include("hisho.privacy.urls")),  # privacy center: /privacy/, /me/data/, …
    path("", include("hisho.payments.urls")),  # payments, webhooks, the sandbox provider
    path("", include("hisho.partners.urls")),  # partner area, offers, /go/, the ledger
    path("", include("hisho.outreach.urls")),  # unsubscribe, surveys, processor webhooks
    path("", include("hisho.notify.urls")),  # the profile's notification checkboxes
    path("accounts/", include("allauth.urls")),
    # Nobody signs in by phone here (AccountAdapter.get_phone); allauth's phone view fails
    # with an AttributeError (a 500) on several methods, so the path does not exist.
    re_path(r"^_allauth/(app|browser)/v1/account/phone$", no_such_path),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    # API clients get problem+json even for paths no router knows.
    if request.path.startswith(API_PREFIX):
        return problem_response(404, "No such endpoint.")
    return defaults.page_not_found(request, exception)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(400, "Bad request.")
    return defaults.bad_request(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    # A fault of ours outside django-ninja's own handler (allauth's headless views, a
    # middleware): API clients parse every error as problem+json, this one too.
    if request.path.startswith((API_PREFIX, ALLAUTH_PREFIX)):
        return problem_response(500, "Something went wrong on our side.")
    return defaults.server_error(request)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(403, "Forbidden.")
    return defaults.permission_denied(request, exception)


# Sign-in security (issue 6): Django's admin site signs people in through allauth, so
# throttling and the second factor apply there too (docs/security.md).
from allauth.account.decorators import secure_admin_login  # noqa: E402

admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign,no-untyped-call]
