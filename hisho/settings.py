"""Hisho's one settings module. Every value that differs between installs comes from
the environment (see docs/operations.md); bad values stop the service at start-up.

Two shapes share it: `embedded` (the default: SQLite and generated secrets under ./var/)
and `production` (everything from the environment; refuses DEBUG and default secrets).
"""

from __future__ import annotations

import json
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hisho.accounts.providers import social_form_action_origins, social_providers_from_env
from hisho.audit.note import valid_name
from hisho.config import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    secret_from_file,
)
from hisho.desk.hours import parse_business_hours

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("HISHO_VAR_DIR", str(Path.cwd() / "var"))).resolve()

HISHO_MODE = env_choice("HISHO_MODE", "embedded", {"embedded", "production"})
PRODUCTION = HISHO_MODE == "production"

DEBUG = env_bool("HISHO_DEBUG", False)

_secret = env_str("HISHO_SECRET_KEY")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("HISHO_DEBUG must be off in production (HISHO_MODE=production).")
    if len(_secret) < 50 or _secret.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "Production needs HISHO_SECRET_KEY: a random value of at least 50 characters."
        )
    SECRET_KEY = _secret
else:
    SECRET_KEY = _secret or secret_from_file(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("HISHO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production needs HISHO_ALLOWED_HOSTS (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("HISHO_CSRF_TRUSTED_ORIGINS", [])

# One literal list each, in one place (a test fails on `INSTALLED_APPS +=` or
# `MIDDLEWARE.insert` elsewhere): the order is the behaviour, so it is read top to bottom.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's "Where you are signed in" page uses naturaltime
    "allauth",
    "allauth.account",
    "allauth.headless",
    "allauth.usersessions",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.openid_connect",
    "csp",  # Content-Security-Policy on every response (docs/security.md)
    # django-ninja's own Swagger UI files (ninja/static/ninja/), served by us under the
    # CSP instead of from a CDN: /api/v1/docs.
    "ninja",
    "django_tasks",
    "django_tasks_db",  # the database backend of Django's Tasks API (the job queue)
    "hisho.accounts",
    "hisho.audit",
    "hisho.signing",
    "hisho.legal",
    "hisho.vault",
    "hisho.desk",
    "hisho.privacy",
    "hisho.idempotency",  # Idempotency-Key on creating POSTs (docs/api-limits.md)
    "hisho.payments",
    "hisho.backups",  # backups, restores and the erasure ledger (docs/operations.md)
    "hisho.partners",  # DP releases for partners, offers and outbound links (O4, O6)
    "hisho.outreach",
    "hisho.notify",  # e-mail notifications and their preferences (docs/notifications.md)
    "hisho.push",  # the installable app's Web Push: subscriptions, VAPID keys (issue 17)
    "hisho.inbox",  # read markers: unread counts in the errand lists
    "hisho.search",  # private search: a blind index per errand (docs/search.md)
    "hisho.attachments",  # sealed files on errands and in chat (docs/attachments.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Under /api/ and /_allauth/ every error answer is JSON, whichever layer made it.
    "hisho.api_http.JsonErrorsForJsonClients",
    # Nothing is served while erasures recorded after a restored backup are not re-applied.
    "hisho.backups.middleware.ErasureLedgerGuardMiddleware",
    # Kept headers (the User-Agent) pass DLP before any code reads or stores them.
    "hisho.inbound.MaskCardsInHeaders",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # What a signed-in request is answered is never cached (static files are answered above).
    "hisho.http_cache.NoStoreForSignedIn",
    # Outermost after static files, so it sees every cookie set inside it: only cookies
    # that policy.yaml declares necessary leave without consent (docs/privacy.md).
    "hisho.privacy.middleware.CookieGateMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # What a request leaves in the session (a POST suspended for a fresh sign-in, with its
    # headers) passes DLP before SessionMiddleware saves it.
    "hisho.inbound.MaskCardsInSession",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after authentication, so every request an inner middleware ends is recorded.
    "hisho.privacy.middleware.ConnectionMiddleware",
    # A request's staff reads make one access-log entry per errand, one audit event.
    "hisho.vault.reads.ReadsLogOnceMiddleware",
    # The signed-in person's language and time zone, over the browser's (issue 17).
    "hisho.accounts.middleware.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
    # After authentication: sessions' lifetime, and staff without a second factor.
    "hisho.accounts.middleware.SessionSecurityMiddleware",
    # JSON nested too deep for any parser to survive is a 400, on every path.
    "hisho.api_http.DeepJsonGuard",
    # HEAD answers as GET does, 405s are problem+json with Allow
    # (hisho/api_http.py; docs/api-limits.md).
    "hisho.api_http.ApiHttpMiddleware",
    # The transparency log's public answers, errors included, to any origin.
    "hisho.audit.public.PublicLogMiddleware",
    # Innermost, so it sees a view's exception first: a relay or provider that cannot
    # take the request is a 503 that says what was kept (hisho/outages.py).
    "hisho.outages.OutageMiddleware",
]

ROOT_URLCONF = "hisho.urls"
ASGI_APPLICATION = "hisho.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Moments in the reader's time zone and words: `|when`, `|day`, `|ago`.
            "builtins": ["hisho.timefmt"],
        },
    },
]

# --- Database -------------------------------------------------------------------------
_default_db = "" if PRODUCTION else f"sqlite:///{VAR_DIR / 'hisho.sqlite3'}"
_database_url = env_str("DATABASE_URL", _default_db)
if not _database_url:
    raise ImproperlyConfigured("Production needs DATABASE_URL (e.g. postgres://user@host/hisho).")
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while one writer commits; the busy timeout makes a
    # second writer wait instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests keep their database in a file, not in memory: Django's live server shares an
    # in-memory database's one connection between its request threads, and two requests
    # at once (a page and its favicon) would then interleave their transactions.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-hisho.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts (django-allauth) --------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    # Argon2id (argon2-cffi's default type) first; the others only verify old hashes.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "hisho.accounts.adapter.AccountAdapter"
# A refused address (one carrying a card number) is not shown again (POLICY K9).
ACCOUNT_FORMS = {
    "signup": "hisho.accounts.allauth_forms.SignupForm",
    "add_email": "hisho.accounts.allauth_forms.AddEmailForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Production verifies every new address before the account can be used: it is also what
# makes sign-up answer the same for a new and a taken address (docs/security.md).
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "HISHO_EMAIL_VERIFICATION",
    "mandatory" if PRODUCTION else "optional",
    {"none", "optional", "mandatory"},
)
# A password change ends every other session and app token (Django's session hash); the
# session that changed it stays signed in. /accounts/sessions/ ends others at any time.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_USER_DISPLAY = "hisho.accounts.models.user_display"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_NOTIFICATIONS = True  # mail on password, e-mail and MFA changes
# Changing e-mail, password or MFA, exporting and erasing data need a sign-in (password
# or second factor) within the last five minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("HISHO_REAUTHENTICATION_SECONDS", 300, minimum=30)
# Throttles (allauth keeps the counters in the default cache; see CACHES below): per IP
# and per account (the `key` is the e-mail address; MFA counts per user).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",  # also counts wrong second-factor codes
    "signup": "20/m/ip",
    "signup_email": "5/h/key",  # Hisho's own: sign-ups per address (AccountAdapter)
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/3m/key",
}
LOGIN_REDIRECT_URL = "/errands/"
LOGIN_URL = "/accounts/login/"
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_SERVE_SPECIFICATION = False
# App tokens are allauth's session tokens, looked up with one query (not two).
HEADLESS_TOKEN_STRATEGY = "hisho.accounts.sessions.OneReadSessionTokenStrategy"  # noqa: S105

# Two-factor authentication (allauth.mfa): TOTP with recovery codes, and passkeys.
# Assistants and admins must use it before they see any errand (hisho/accounts/mfa.py).
MFA_ADAPTER = "hisho.accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Hisho"
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
MFA_TOTP_TOLERANCE = 0
MFA_TRUST_ENABLED = False  # a remembered browser would skip the second factor

# Google, Facebook and any OpenID Connect provider, each only when configured in the
# environment (hisho/accounts/social.py); without them the buttons are absent.
SOCIALACCOUNT_ADAPTER = "hisho.accounts.social.SocialAccountAdapter"
# A provider's e-mail never signs anyone in to an existing account (ASVS 6.8.1): linking
# happens only from inside the signed-in account.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # starting a provider login is a POST (CSRF)
SOCIALACCOUNT_STORE_TOKENS = False  # providers' tokens are used once, never kept
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
SOCIALACCOUNT_PROVIDERS = social_providers_from_env()

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("HISHO_SESSION_SECONDS", 14 * 24 * 3600, minimum=300)
# Absolute lifetime of a sign-in and the longest a session may sit idle; both end the
# session and the app token (hisho/accounts/middleware.py).
HISHO_SESSION_MAX_SECONDS = SESSION_COOKIE_AGE
HISHO_SESSION_IDLE_SECONDS = env_int("HISHO_SESSION_IDLE_SECONDS", 24 * 3600, minimum=300)

# Pages that show approved partner offers, labelled as ads (POLICY O6; docs/partners.md);
# an empty list shows none anywhere.
HISHO_OFFER_PAGES = env_list("HISHO_OFFER_PAGES", ["errand_list"])

# --- Mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "HISHO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "hisho.redaction.MaskingConsoleEmailBackend",
)
# Mail printed to the console is a log: card numbers masked (POLICY K9), even when the
# environment names Django's own console backend.
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    EMAIL_BACKEND = "hisho.redaction.MaskingConsoleEmailBackend"
# A relay that does not answer fails the send after this long (Django's default is to
# wait for ever, holding the request's worker): the person gets a 503 to retry.
EMAIL_TIMEOUT = env_int("HISHO_EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("HISHO_FROM_EMAIL", "Hisho <no-reply@hisho.localhost>")
# Newsletters and surveys (docs/outreach.md) go out through the processors policy.yaml
# declares for them: the mail relay above by default, or an e-mail service provider
# through django-anymail when HISHO_OUTREACH_EMAIL_BACKEND names one of its backends
# (e.g. "anymail.backends.postmark.EmailBackend"), with its settings as JSON in
# HISHO_ANYMAIL (e.g. {"POSTMARK_SERVER_TOKEN": "…"}). Service mail is unaffected.
HISHO_OUTREACH_EMAIL_BACKEND = env_str("HISHO_OUTREACH_EMAIL_BACKEND", "")
if HISHO_OUTREACH_EMAIL_BACKEND and not HISHO_OUTREACH_EMAIL_BACKEND.startswith("anymail."):
    raise ImproperlyConfigured("HISHO_OUTREACH_EMAIL_BACKEND must name a django-anymail backend.")
try:
    ANYMAIL = json.loads(env_str("HISHO_ANYMAIL", "{}"))
except ValueError:
    raise ImproperlyConfigured("HISHO_ANYMAIL must be a JSON object.") from None
if not isinstance(ANYMAIL, dict):
    raise ImproperlyConfigured("HISHO_ANYMAIL must be a JSON object.")

# --- Limits (documented in docs/api-limits.md; enforced in the schemas too) -------------
# Django refuses bigger request bodies before any view sees them; the API turns that
# into a 413 problem.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Attachments (docs/attachments.md): at most this many bytes per file, refused while the
# upload streams in (hisho/attachments/uploads.py), never buffered whole; images of more
# pixels than this are refused before they are decoded (decompression bombs).
HISHO_ATTACHMENT_MAX_BYTES = env_int("HISHO_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
HISHO_ATTACHMENT_MAX_PIXELS = env_int("HISHO_ATTACHMENT_MAX_PIXELS", 40_000_000, minimum=1)
# Uploads above this size spill from memory to a temporary file while they are checked.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "hisho.attachments.uploads.BoundedUploadHandler",  # stops at HISHO_ATTACHMENT_MAX_BYTES
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True


def _attachments_storage() -> dict[str, object]:
    """`filesystem` (embedded: ./var/attachments) or `s3` (django-storages; the bucket and
    its endpoint from the environment, credentials from boto3's usual sources)."""
    kind = env_choice("HISHO_ATTACHMENTS_STORAGE", "filesystem", {"filesystem", "s3"})
    if kind == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(Path(env_str("HISHO_ATTACHMENTS_DIR") or VAR_DIR / "attachments")),
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    bucket = env_str("HISHO_ATTACHMENTS_S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured(
            "HISHO_ATTACHMENTS_STORAGE=s3 needs HISHO_ATTACHMENTS_S3_BUCKET."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env_str("HISHO_ATTACHMENTS_S3_ENDPOINT") or None,
            "region_name": env_str("HISHO_ATTACHMENTS_S3_REGION") or None,
            "location": "attachments",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Errand attachments, only ever AES-GCM ciphertext (docs/attachments.md): a directory
    # under ./var/ embedded, an S3-compatible bucket when scaled (HISHO_ATTACHMENTS_STORAGE).
    "attachments": _attachments_storage(),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Embedded installs serve static files straight from the package, no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Payments (issue 19; docs/payments.md) ----------------------------------------------
# The enabled providers, the first one taking new payment requests: `sandbox` (served by
# Hisho itself: the embedded default) and/or `stripe`. Production must name them.
# None in production until configured: payment requests are then refused (409).
# Whether assistants may take errands from the queue themselves (docs/desk.md). Off: only
# admins assign. Claims still show to the customer as assignments and wait for their
# acceptance when they asked to approve new assistants.
HISHO_ASSISTANTS_MAY_CLAIM = env_bool("HISHO_ASSISTANTS_MAY_CLAIM", False)
HISHO_PAYMENT_PROVIDERS = env_list("HISHO_PAYMENT_PROVIDERS", [] if PRODUCTION else ["sandbox"])
if set(HISHO_PAYMENT_PROVIDERS) - {"sandbox", "stripe"}:
    raise ImproperlyConfigured("HISHO_PAYMENT_PROVIDERS may name only sandbox and stripe.")
HISHO_STRIPE_SECRET_KEY = env_str("HISHO_STRIPE_SECRET_KEY")
HISHO_STRIPE_WEBHOOK_SECRET = env_str("HISHO_STRIPE_WEBHOOK_SECRET")
HISHO_STRIPE_API_BASE = env_str("HISHO_STRIPE_API_BASE", "https://api.stripe.com")
if (
    "stripe" in HISHO_PAYMENT_PROVIDERS
    and PRODUCTION
    and not (HISHO_STRIPE_SECRET_KEY and HISHO_STRIPE_WEBHOOK_SECRET.startswith("whsec_"))
):
    raise ImproperlyConfigured(
        "The stripe payment provider needs HISHO_STRIPE_SECRET_KEY and "
        "HISHO_STRIPE_WEBHOOK_SECRET (whsec_…)."
    )
HISHO_SANDBOX_WEBHOOK_SECRET = env_str("HISHO_SANDBOX_WEBHOOK_SECRET")
# How long a payment's legal minimum is kept after erasure (policy.yaml `payments`).
HISHO_PAYMENT_RETENTION_DAYS = env_int("HISHO_PAYMENT_RETENTION_DAYS", 2557, minimum=1)
_PAYMENT_FORM_ACTIONS = (
    ["https://checkout.stripe.com"] if "stripe" in HISHO_PAYMENT_PROVIDERS else []
)

# --- Security headers and cookies (POLICY O3; docs/security.md) -------------------------
# On every response, pages and API alike (tests/security/test_headers.py).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A strict policy: nothing inline, nothing from elsewhere (third-party code comes from a
# package manager and is served by us). django-csp adds the header to every response.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        # A checkout is a form post answered with a redirect to the provider's hosted
        # page, which form-action governs too (docs/payments.md).
        "form-action": ["'self'", *social_form_action_origins(), *_PAYMENT_FORM_ACTIONS],
    }
}
# Flash messages live in the session, not in a cookie of their own; the session and
# CSRF cookies are the only cookies before consent (POLICY K10).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CSRF_COOKIE_HTTPONLY = True  # pages post the token from the form, never from script
CSRF_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("HISHO_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("HISHO_BEHIND_PROXY", False) else None
    )
    SECURE_HSTS_SECONDS = env_int("HISHO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    # `__Host-`: sent only over HTTPS, only to this exact host, path / (ASVS 3.3.3).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"

# --- Logging: ids only, never personal data (house rule 5) ------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "mask_cards": {"()": "hisho.redaction.MaskCardNumbers"},
        "client_errors_in_one_line": {"()": "hisho.redaction.ClientErrorsInOneLine"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_in_one_line", "mask_cards"],
        },
        # The ASGI server's access log: the request line a client wrote, so card numbers
        # in its path or query are masked, %-escapes and "+" decoded first (POLICY K9).
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
            "filters": ["mask_cards"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("HISHO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs the request line of 4xx/5xx responses; URLs hold only ids.
        "django.request": {"level": "ERROR"},
        # uvicorn configures its loggers before it imports Hisho; Django's setup (which
        # hisho.asgi runs at import) then replaces their handlers by these masking ones,
        # under `make serve` and scripts/scaled.py alike. "uvicorn" also logs websocket
        # request lines ("WebSocket /ws/v1/…").
        "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}

DEFAULT_EXCEPTION_REPORTER_FILTER = "hisho.redaction.MaskingExceptionReporterFilter"

# --- Vault: the master keyring and the key cache (docs/operations.md, "Keys and the vault")
_master_key_file = env_str("HISHO_MASTER_KEY_FILE")
if PRODUCTION and not _master_key_file:
    raise ImproperlyConfigured(
        "Production needs HISHO_MASTER_KEY_FILE: the path of the master keyring "
        "(create one with `.venv/bin/python -m hisho.vault.keyring create PATH`)."
    )
HISHO_MASTER_KEY_FILE = Path(_master_key_file or VAR_DIR / "master.keyring").resolve()
# Embedded installs generate their keyring on first run; a file named in the
# environment must exist (a fresh one would not open the data already sealed).
HISHO_MASTER_KEY_GENERATE = not PRODUCTION and not _master_key_file
HISHO_VAULT_KEY_CACHE_SIZE = env_int("HISHO_VAULT_KEY_CACHE_SIZE", 4096)
HISHO_VAULT_KEY_CACHE_SECONDS = env_int("HISHO_VAULT_KEY_CACHE_SECONDS", 60)

# --- Backups and the erasure ledger (docs/operations.md, "Backups and restores") --------
# The ledger records every erasure outside the database, beside the keyring (kept and
# backed up with it), so a restored backup never brings an erased person back.
HISHO_ERASURE_LEDGER_FILE = Path(
    env_str("HISHO_ERASURE_LEDGER_FILE") or HISHO_MASTER_KEY_FILE.with_name("erasure.ledger")
).resolve()
# Web Push (docs/notifications.md): the VAPID key pair is generated on first use into this
# file (0600), beside the keyring and backed up with it, never in the database.
HISHO_VAPID_KEY_FILE = Path(
    env_str("HISHO_VAPID_KEY_FILE") or HISHO_MASTER_KEY_FILE.with_name("vapid.pem")
).resolve()
# The push services a subscription's endpoint may name (scheme://host, `*.` for any
# subdomain): Hisho posts to the endpoint, so nowhere else (the browsers' own services).
HISHO_PUSH_SERVICES = env_str(
    "HISHO_PUSH_SERVICES",
    "https://fcm.googleapis.com https://updates.push.services.mozilla.com "
    "https://*.push.services.mozilla.com https://*.notify.windows.com "
    "https://web.push.apple.com",
).split()
# How long a push service keeps an undelivered notification (seconds).
HISHO_PUSH_TTL = env_int("HISHO_PUSH_TTL", 3600, minimum=0)
# Where `hisho backup` and the scheduled backup job write; how often the job runs.
HISHO_BACKUP_DIR = Path(env_str("HISHO_BACKUP_DIR") or VAR_DIR / "backups").resolve()
HISHO_BACKUP_EVERY_HOURS = env_int("HISHO_BACKUP_EVERY_HOURS", 24, minimum=1)

# --- Hisho ------------------------------------------------------------------------------
HISHO_DEMO_ALLOWED = not PRODUCTION

# --- Legal disclosures (docs/audit.md, "Legal disclosure") ------------------------------
# How long an approved case's grant lets its admins unseal the scoped data for the export.
HISHO_LEGAL_GRANT_HOURS = env_int("HISHO_LEGAL_GRANT_HOURS", 72, minimum=1)
# The longest a documented deferral may put off telling the person.
HISHO_LEGAL_MAX_DEFERRAL_DAYS = env_int("HISHO_LEGAL_MAX_DEFERRAL_DAYS", 180, minimum=1)

# --- Live chat: the channel layer (docs/scaling.md) -------------------------------------
# Embedded: an in-memory layer inside the one server process. Scaled: REDIS_URL names
# the Redis database every app process shares, e.g. redis://127.0.0.1:6379/0. Events on
# the layer carry ids only (hisho/desk/live.py).
REDIS_URL = env_str("REDIS_URL").strip()

# A socket's process waits for its next event with a blocking pop that Redis answers
# after channels-redis's `brpop_timeout` (5 s) when nothing came. The Redis client's own
# read timeout must be longer, or every quiet socket dies: redis-py 8 made 5 s its
# default, the same 5 s, and an idle chat was dropped after 5 to 12 seconds. 15 s still
# notices a Redis that stopped answering.
CHANNEL_REDIS_SOCKET_TIMEOUT = 15


def channel_layers(redis_url: str) -> dict[str, dict[str, object]]:
    """The channel layer: in memory inside the one server process (embedded), or the
    Redis at `redis_url` that every app process shares (scaled)."""
    if not redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "REDIS_URL must start with redis://, rediss:// or unix://; "
            "e.g. redis://127.0.0.1:6379/0"
        )
    host = {
        "address": redis_url,
        "socket_timeout": CHANNEL_REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": 5,
    }
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [host], "prefix": "hisho.live", "expiry": 30},
        }
    }


CHANNEL_LAYERS = channel_layers(REDIS_URL)

# Who has an errand's page open (hisho/notify/presence.py; docs/notifications.md): in the
# scaled shape kept in REDIS_URL's Redis under this prefix, each socket counting for this
# many seconds past its process's last heartbeat (a third of it), so that a crashed
# process does not silence e-mails for longer.
HISHO_PRESENCE_PREFIX = env_str("HISHO_PRESENCE_PREFIX", "hisho.presence").strip()
HISHO_PRESENCE_SECONDS = env_int("HISHO_PRESENCE_SECONDS", 60, minimum=2)

# PostgreSQL under an ASGI server: each request's sync code runs in a thread of its own,
# so Django's persistent connections are never reused and pile up (measured: 80 open
# connections after 300 requests; Django's docs: "When using ASGI, persistent
# connections should be disabled"). psycopg's pool instead, per process; 0 turns it off.
HISHO_DB_POOL_SIZE = env_int("HISHO_DB_POOL_SIZE", 8)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and HISHO_DB_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": HISHO_DB_POOL_SIZE,
        "timeout": 10,
    }

# --- Sign-in security: apps, middleware, throttle store (issue 6; docs/security.md) -----
# allauth keeps its throttle counters (login, sign-up, reset, MFA) and used TOTP codes in
# the default cache. Production keeps them in the database table HISHO_CACHE_TABLE, which
# the accounts migrations make in every mode (a database migrated in embedded mode and then
# served in production had none: every sign-in throttle check failed with a 500), so they
# survive restarts, are shared by every process and never depend on Redis; a cache that
# cannot be reached fails the request (closed). Embedded: one process, its memory.
HISHO_CACHE_TABLE = "hisho_cache"
if PRODUCTION:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": HISHO_CACHE_TABLE,
            # Keys name nobody: no IP address, no hash of a typed e-mail (cachekeys.py).
            "KEY_FUNCTION": "hisho.cachekeys.keyed_cache_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "hisho.cachekeys.keyed_cache_key",
        }
    }

# --- Privacy center (issue 5; docs/privacy.md) ------------------------------------------
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
}
HISHO_COOKIE_CHOICE_NAME = "__Host-cookie-choice" if PRODUCTION else "hisho_cookie_choice"
# Connection data (POLICY K3): may be shorter than policy.yaml promises, never longer
# (system check privacy.E002).
HISHO_CONNECTION_TRUNCATE_DAYS = env_int("HISHO_CONNECTION_TRUNCATE_DAYS", 7, minimum=1)
HISHO_CONNECTION_DELETE_DAYS = env_int("HISHO_CONNECTION_DELETE_DAYS", 90, minimum=1)
HISHO_PRIVACY_CONTACT_EMAIL = env_str("HISHO_PRIVACY_CONTACT_EMAIL", "privacy@hisho.localhost")
# Outreach (docs/outreach.md): where the newsletter/survey processors take deletion
# requests, the mailbox one-click `mailto:` unsubscribes go to, and the shared secret that
# signs their bounce and complaint webhooks (empty: the webhook refuses everything).
HISHO_PROCESSOR_DELETION_EMAIL = env_str(
    "HISHO_PROCESSOR_DELETION_EMAIL", "privacy@mail-relay.hisho.localhost"
)
HISHO_UNSUBSCRIBE_EMAIL = env_str("HISHO_UNSUBSCRIBE_EMAIL", "unsubscribe@hisho.localhost")
HISHO_OUTREACH_WEBHOOK_SECRET = env_str("HISHO_OUTREACH_WEBHOOK_SECRET", "")
HISHO_OUTREACH_BATCH = env_int("HISHO_OUTREACH_BATCH", 200)
# Where people reach this service, for links in e-mails.
HISHO_PUBLIC_URL = env_str("HISHO_PUBLIC_URL", "http://127.0.0.1:8000")
# The audit log's name (docs/audit.md §4): the first line of every signed tree head and the
# name its key signs under, fixed for good by the first head. Empty: `<host of
# HISHO_PUBLIC_URL>/audit`. Refused here unless it is a signed note's key name: a head
# signed under any other name is one no verifier can read, and the log keeps its name.
HISHO_AUDIT_LOG_ORIGIN = env_str("HISHO_AUDIT_LOG_ORIGIN", "")
if HISHO_AUDIT_LOG_ORIGIN and not valid_name(HISHO_AUDIT_LOG_ORIGIN):
    raise ImproperlyConfigured(
        "HISHO_AUDIT_LOG_ORIGIN must be printable, without spaces or '+' "
        f"(e.g. hisho.example/audit); got {HISHO_AUDIT_LOG_ORIGIN!r}"
    )

# --- Response-time clocks (docs/response-times.md): the hours that count -----------------
try:
    HISHO_BUSINESS_HOURS = parse_business_hours(
        env_str("HISHO_BUSINESS_HOURS", "Mon-Fri 09:00-18:00"),
        env_str("HISHO_BUSINESS_TIME_ZONE", "Asia/Tokyo"),
        env_str("HISHO_BUSINESS_HOLIDAYS", "JP"),
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"HISHO_BUSINESS_*: {exc}") from None
