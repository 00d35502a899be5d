"""The peer of the side-by-side bench (bench/peer_bench.py): a minimal Django project
serving django-helpdesk (installed from PyPI into .venv-peer by `make setup-peer`, never
into Hisho's venv) and its DRF API, configured like Hisho's scaled shape where the two
are comparable: PostgreSQL through psycopg's pool (8 per process), no DEBUG, uvicorn.

Environment: PEER_DATABASE (PostgreSQL database name, on 127.0.0.1 as postgres).
"""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-not-secret"  # noqa: S105 - a throwaway bench project
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "peer_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PEER_DATABASE", "hisho_peer_bench"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "CONN_MAX_AGE": 0,
        # As Hisho's settings: psycopg's pool under ASGI, 8 per process.
        "OPTIONS": {"pool": {"min_size": 1, "max_size": 8, "timeout": 10}},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Token authentication, as Hisho's API signs in with an app token on every request.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}

# A private follow-up sends no e-mail (Hisho's message post sends none either).
HELPDESK_PRIVATE_FOLLOWUP_MEANS_NO_EMAILS = True
# No knowledge-base teams (they would need pinax-teams; the follow-up API does not use them).
HELPDESK_TEAMS_MODE_ENABLED = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

STATIC_URL = "/static/"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
