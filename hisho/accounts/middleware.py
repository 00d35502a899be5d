"""Web side of sign-in security (hisho/accounts/mfa.py, hisho/accounts/security.py).

For every browser request with a signed-in user:
1. a sign-in past its absolute lifetime or idle too long is signed out;
   otherwise the request gets its principal (`request.principal`);
2. staff (assistants, admins) whose session has not passed a second factor are sent to
   set one up (/accounts/2fa/) or to confirm it (/accounts/2fa/reauthenticate/) — only
   allauth's account pages, static files and the API (which answers 403 itself,
   hisho/auth.py) stay reachable.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hisho.accounts.mfa import has_second_factor
from hisho.accounts.principal import SecondFactorRequired, principal_for
from hisho.accounts.security import session_expired
from hisho.zones import zone_of

# Reachable without a second factor: allauth's pages (sign-in, 2FA set-up, sign-out,
# password), the headless and JSON APIs (they answer for themselves: 403 on errands),
# static files and the published signing keys. Django's admin site signs in through
# allauth (secure_admin_login, hisho/urls.py), so enrolled staff pass the second factor
# there too; it never shows customer content (tests/vault/test_matrix.py).
_OPEN_PREFIXES = (
    "/accounts/",
    "/_allauth/",
    "/api/",
    "/static/",
    "/.well-known/",
    "/django-admin/",
)


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(("/_allauth/", "/static/")):
            # allauth headless swaps in the app token's session itself; static files
            # need no session at all.
            return self.get_response(request)
        user = request.user
        if user.is_authenticated:
            if session_expired(request.session, save=False):
                logout(request)
                return self.get_response(request)
            principal = principal_for(user, request.session)
            request.principal = principal  # type: ignore[attr-defined]
            if (
                principal is not None
                and not principal.cleared
                and not request.path.startswith(_OPEN_PREFIXES)
            ):
                return self._second_factor_first(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A page that reached the errand access helpers anyway (e.g. an open prefix).
        if isinstance(exception, SecondFactorRequired) and not request.path.startswith("/api/"):
            return self._second_factor_first(request)
        # A sign-in provider whose app is not configured (no HISHO_GOOGLE_* etc.): its
        # pages do not exist here, rather than failing.
        if isinstance(exception, SocialApp.DoesNotExist):
            raise Http404("This sign-in provider is not set up.")
        return None

    def _second_factor_first(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if has_second_factor(user):  # type: ignore[arg-type]
            messages.info(request, _("Confirm it's you with your second factor to continue."))
            target = reverse("mfa_reauthenticate")
        else:
            messages.info(
                request,
                _("Assistants and admins use two-factor authentication. Set it up to see errands."),
            )
            target = reverse("mfa_index")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class PreferencesMiddleware:
    """A signed-in person's chosen language wins over the browser's Accept-Language (which
    LocaleMiddleware applied, and which stays the default for everyone else); times are
    shown in the person's chosen time zone, else Hisho's (settings.TIME_ZONE, Asia/Tokyo)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None else ""
        if chosen and chosen in dict(settings.LANGUAGES):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        if getattr(user, "is_authenticated", False):
            timezone.activate(zone_of(user))
        else:
            timezone.activate(settings.TIME_ZONE)
        try:
            return self.get_response(request)
        finally:
            # The thread serves someone else next: back to Hisho's own zone.
            timezone.deactivate()
