"""The installable app (issue 17): the web app manifest, the service worker and the
offline page it keeps, all at the site root.

The service worker caches only the offline page and the few static files it uses. It
never caches an API answer or a page: every page may show personal data, and a cache on
a shared device would keep it. The offline page is rendered with no request — no user,
no session, no CSRF token — in both languages, so the cached copy holds nothing of
anyone's.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#a3232b"
BACKGROUND_COLOUR = "#f7f6f3"
OFFLINE_URL = "/offline/"
# Bump to make every installed service worker drop its cache and fetch the shell again.
SHELL_VERSION = "3"


def shell_files() -> list[str]:
    """What the service worker caches: the offline page and its static files. Nothing
    else, ever (tests/push/test_pwa.py)."""
    return [
        OFFLINE_URL,
        static("hisho/site.css"),
        static("hisho/icon.svg"),
        static("hisho/icon-192.png"),
    ]


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> HttpResponse:
    language = translation.get_language() or "en"
    document = {
        "id": "/",
        "name": "Hisho 秘書",
        "short_name": "Hisho",
        "description": gettext("Your personal assistant in Japan, with your data sealed."),
        "lang": language,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("hisho/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("hisho/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("hisho/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static("hisho/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/manifest+json; charset=utf-8",
    )
    response["Vary"] = "Accept-Language, Cookie"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    # The notification's words, in the language of whoever installed it (a push itself
    # carries no words). No user data: the worker script is the same for everyone.
    body = render_to_string(
        "push/sw.js",
        {
            "version": SHELL_VERSION,
            "offline_url": OFFLINE_URL,
            "shell": json.dumps(shell_files()),
            "texts": json.dumps(
                {
                    "title": "Hisho",
                    "message": gettext("There is a new message on one of your errands."),
                    "other": gettext("One of your errands has news."),
                    "icon": static("hisho/icon-192.png"),
                },
                ensure_ascii=False,
            ),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; never serve them a stale one.
    response["Cache-Control"] = "no-cache"
    response["Vary"] = "Accept-Language, Cookie"
    return response


@require_GET
@cache_control(no_cache=True)
def offline(request: HttpRequest) -> HttpResponse:
    texts = []
    for language in ("en", "ja"):
        with translation.override(language):
            texts.append(
                {
                    "lang": language,
                    "title": gettext("You are offline"),
                    "body": gettext(
                        "Hisho needs a connection to show your errands: nothing of them is "
                        "kept on this device. Try again when you are back online."
                    ),
                    "retry": gettext("Try again"),
                }
            )
    # Rendered without the request: no user, no session, no token in a page that is cached.
    html = render_to_string("push/offline.html", {"texts": texts, "css": static("hisho/site.css")})
    return HttpResponse(html)
