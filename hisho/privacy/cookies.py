"""Cookie choices and Global Privacy Control (POLICY K10).

- Until a visitor chooses, only the cookies policy.yaml declares `necessary` are set;
  the middleware (hisho.privacy.middleware) removes any other from every response.
- The choice is one of two answers, offered side by side: accept or reject all. It is
  remembered in a necessary cookie (and, for a signed-in person, as their consent record
  for each browser purpose, so the app and other browsers know it too).
- `Sec-GPC: 1` is a refusal of everything optional, whatever was chosen before.
- For a signed-in person their account's answer counts; otherwise this browser's.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from hisho.privacy.consents import answered
from hisho.privacy.policy import current_policy

# Purposes a browser's cookie choice answers (policy.yaml purposes resting on consent).
BROWSER_PURPOSES = ("usage_analytics",)
ACCEPT = "accept"
REJECT = "reject"
# Not an answer: the question was shown and the visitor went on to another page without
# answering it. Nothing optional is allowed (as before any answer), and the card is not
# shown again on every page; the footer's "Cookie settings" still offers the choice.
ASKED = "asked"
CHOICE_MAX_AGE = 365 * 24 * 3600


def cookie_name() -> str:
    return str(settings.HISHO_COOKIE_CHOICE_NAME)


def gpc(request: HttpRequest) -> bool:
    """The browser sends the Global Privacy Control signal."""
    return request.headers.get("Sec-GPC", "").strip() == "1"


def accepted_value() -> str:
    """What the cookie holds after "Accept": the answer and the definition it was given
    for (the browser purposes' fingerprints). A version that changes a browser purpose
    leaves an earlier "accept" without force and the question is asked again, as it is
    for an account's consent (hisho.privacy.consents) — a bare "accept" counted forever."""
    policy = current_policy()
    joined = "|".join(policy.purpose_fingerprint(purpose) for purpose in BROWSER_PURPOSES)
    return f"{ACCEPT}.{hashlib.sha256(joined.encode()).hexdigest()[:16]}"


def browser_choice(request: HttpRequest) -> str | None:
    value = request.COOKIES.get(cookie_name())
    if value == REJECT:
        return REJECT
    return ACCEPT if value == accepted_value() else None


def remember_choice(response: HttpResponse, choice: str) -> None:
    response.set_cookie(
        cookie_name(),
        accepted_value() if choice == ACCEPT else choice,
        max_age=CHOICE_MAX_AGE,
        samesite="Lax",
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
        httponly=True,
    )


def remember_asked(request: HttpRequest, response: HttpResponse) -> None:
    """After the question was shown once and the visitor moved on, remember that it was
    asked: never on the first response, which sets no choice.

    Only on a page the visitor went to (`Sec-Fetch-Mode: navigate`; browsers that send no
    such header count as navigating). A background fetch — the installable app's service
    worker caching its offline page as the first page loads — starts before the visitor
    answers and can end after: its "asked" would overwrite the answer they just gave."""
    if cookie_name() in request.COOKIES or cookie_name() in response.cookies or gpc(request):
        return
    if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
        return
    if came_from_here(request) and response.get("Content-Type", "").startswith("text/html"):
        remember_choice(response, ASKED)


def allowed(request: HttpRequest, purpose: str) -> bool:
    """May this request be used for `purpose` (a browser purpose)?"""
    if gpc(request):
        return False
    user: Any = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        answer = answered(user, purpose)
        if answer is not None:
            return answer
    return browser_choice(request) == ACCEPT


def came_from_here(request: HttpRequest) -> bool:
    """The visitor followed a link or form on one of Hisho's own pages, each of which
    showed the question while it was unanswered (Referrer-Policy: same-origin sends the
    referrer only within this site)."""
    referer = request.headers.get("Referer", "")
    try:
        return bool(referer) and urlsplit(referer).netloc == request.get_host()
    except ValueError:  # a Referer that is no URL ("http://[") came from nowhere here
        return False


def needs_banner(request: HttpRequest) -> bool:
    """Ask only when nothing answers the question yet (GPC answers it), and only once: a
    page reached from another of Hisho's pages has already asked."""
    if gpc(request) or browser_choice(request) or request.COOKIES.get(cookie_name()) == ASKED:
        return False
    if came_from_here(request):
        return False
    user: Any = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return any(answered(user, purpose) is None for purpose in BROWSER_PURPOSES)
    return True
