"""Hisho's one settings module. Every value that differs between installs comes from
the environment (see docs/operations.md); bad values stop the service at start-up.

Two shapes share it: `embedded` (the default: SQLite and generated secrets under ./var/)
and `production` (everything from the environment; refuses DEBUG and default secrets).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hisho.config import env_bool, env_choice, env_int, env_list, env_str, secret_from_file

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

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "allauth.usersessions",
    "hisho.accounts",
    "hisho.audit",
    "hisho.vault",
    "hisho.desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
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
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "HISHO_EMAIL_VERIFICATION", "optional", {"none", "optional", "mandatory"}
)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_USER_DISPLAY = "hisho.accounts.models.user_display"
LOGIN_REDIRECT_URL = "/errands/"
LOGIN_URL = "/accounts/login/"
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_SERVE_SPECIFICATION = False

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("HISHO_SESSION_SECONDS", 14 * 24 * 3600, minimum=300)

# --- Mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "HISHO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("HISHO_FROM_EMAIL", "Hisho <no-reply@hisho.localhost>")

# --- Limits (documented in docs/api-limits.md; enforced in the schemas too) -------------
# Django refuses bigger request bodies before any view sees them; the API turns that
# into a 413 problem.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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

# --- Security headers -----------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
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
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Logging: ids only, never personal data (house rule 5) ------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_cards": {"()": "hisho.redaction.MaskCardNumbers"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_cards"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("HISHO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs the request line of 4xx/5xx responses; URLs hold only ids.
        "django.request": {"level": "ERROR"},
    },
}

DEFAULT_EXCEPTION_REPORTER_FILTER = "hisho.redaction.MaskingExceptionReporterFilter"

# --- Vault: the master keyring and the key cache (docs/operations.md, "Keys and the vault")
_master_key_file = env_str("HISHO_MASTER_KEY_FILE")
if PRODUCTION and not _master_key_file:
    raise ImproperlyConfigured(
        "Production needs HISHO_MASTER_KEY_FILE: the path of the master keyring "
        "(create one with `python -m hisho.vault.keyring create PATH`)."
    )
HISHO_MASTER_KEY_FILE = Path(_master_key_file or VAR_DIR / "master.keyring").resolve()
# Embedded installs generate their keyring on first run; a file named in the
# environment must exist (a fresh one would not open the data already sealed).
HISHO_MASTER_KEY_GENERATE = not PRODUCTION and not _master_key_file
HISHO_VAULT_KEY_CACHE_SIZE = env_int("HISHO_VAULT_KEY_CACHE_SIZE", 4096)
HISHO_VAULT_KEY_CACHE_SECONDS = env_int("HISHO_VAULT_KEY_CACHE_SECONDS", 60)

# --- Hisho ------------------------------------------------------------------------------
HISHO_DEMO_ALLOWED = not PRODUCTION
