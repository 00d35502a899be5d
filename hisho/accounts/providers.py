"""Which social sign-in providers this install offers, read from the environment by
hisho/settings.py (no Django imports here: settings load before the app registry).

A provider is offered only when its id and secret are both set; without them its button
is simply absent. Half a configuration stops the service at start-up instead.

- Google: HISHO_GOOGLE_CLIENT_ID, HISHO_GOOGLE_CLIENT_SECRET
- Facebook: HISHO_FACEBOOK_APP_ID, HISHO_FACEBOOK_APP_SECRET, HISHO_FACEBOOK_ASK_FRIENDS (off)
- any OpenID Connect provider: HISHO_OIDC_SERVER_URL (its issuer), HISHO_OIDC_CLIENT_ID,
  HISHO_OIDC_CLIENT_SECRET, HISHO_OIDC_NAME
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from hisho.config import env_bool, env_str

# The id the generic OpenID Connect provider is known by in URLs (/accounts/oidc/<id>/…).
OIDC_PROVIDER_ID = "oidc"
GOOGLE_AUTHORIZE_ORIGIN = "https://accounts.google.com"
FACEBOOK_AUTHORIZE_ORIGIN = "https://www.facebook.com"
# What Hisho asks Facebook for: the basic profile and the e-mail address. The friends
# list only when the operator turns it on, and then it is the user's choice in
# Facebook's dialog (hisho/accounts/social.py keeps it only if granted).
FACEBOOK_SCOPE = ["email", "public_profile"]
FACEBOOK_FRIENDS_SCOPE = "user_friends"
FACEBOOK_FIELDS = ["id", "email", "name", "first_name", "last_name", "picture"]
FACEBOOK_GRAPH_VERSION = "v19.0"


def _pair(id_name: str, secret_name: str) -> tuple[str, str] | None:
    client_id, secret = env_str(id_name).strip(), env_str(secret_name).strip()
    if bool(client_id) != bool(secret):
        raise ImproperlyConfigured(f"Set both {id_name} and {secret_name}, or neither.")
    return (client_id, secret) if client_id else None


def _https_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ImproperlyConfigured(f"{name} must be an https:// URL; got {value!r}")
    return value.rstrip("/")


def social_providers_from_env() -> dict[str, Any]:
    """SOCIALACCOUNT_PROVIDERS: every provider with PKCE where it supports it, and the
    provider classes that add an OpenID Connect nonce (hisho/accounts/social.py)."""
    providers: dict[str, Any] = {
        "google": {
            "provider_class": "hisho.accounts.social.GoogleProvider",
            "SCOPE": ["openid", "profile", "email"],
            "OAUTH_PKCE_ENABLED": True,
            "FETCH_USERINFO": False,
            "APPS": [],
        },
        "facebook": {
            "METHOD": "oauth2",
            "SCOPE": list(FACEBOOK_SCOPE),
            "FIELDS": list(FACEBOOK_FIELDS),
            "VERIFIED_EMAIL": False,
            "VERSION": FACEBOOK_GRAPH_VERSION,
            "GRAPH_API_URL": f"https://graph.facebook.com/{FACEBOOK_GRAPH_VERSION}",
            "APPS": [],
        },
        "openid_connect": {
            "provider_class": "hisho.accounts.social.OpenIDConnectProvider",
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [],
        },
    }
    google = _pair("HISHO_GOOGLE_CLIENT_ID", "HISHO_GOOGLE_CLIENT_SECRET")
    if google:
        providers["google"]["APPS"].append({"client_id": google[0], "secret": google[1], "key": ""})
    facebook = _pair("HISHO_FACEBOOK_APP_ID", "HISHO_FACEBOOK_APP_SECRET")
    if facebook:
        providers["facebook"]["APPS"].append(
            {"client_id": facebook[0], "secret": facebook[1], "key": ""}
        )
        if env_bool("HISHO_FACEBOOK_ASK_FRIENDS", False):
            providers["facebook"]["SCOPE"].append(FACEBOOK_FRIENDS_SCOPE)
    oidc = _pair("HISHO_OIDC_CLIENT_ID", "HISHO_OIDC_CLIENT_SECRET")
    server_url = env_str("HISHO_OIDC_SERVER_URL").strip()
    if bool(oidc) != bool(server_url):
        raise ImproperlyConfigured(
            "Set HISHO_OIDC_SERVER_URL, HISHO_OIDC_CLIENT_ID and HISHO_OIDC_CLIENT_SECRET, "
            "or none of them."
        )
    if oidc:
        providers["openid_connect"]["APPS"].append(
            oidc_app(
                name=env_str("HISHO_OIDC_NAME", "OpenID Connect").strip() or "OpenID Connect",
                server_url=_https_url("HISHO_OIDC_SERVER_URL", server_url),
                client_id=oidc[0],
                secret=oidc[1],
            )
        )
    return providers


def oidc_app(
    *, name: str, server_url: str, client_id: str, secret: str, provider_id: str = ""
) -> dict[str, Any]:
    """One OpenID Connect provider: `server_url` is its issuer, exactly as it names itself
    (its metadata must say the same, ASVS 10.5.3)."""
    return {
        "provider_id": provider_id or OIDC_PROVIDER_ID,
        "name": name,
        "client_id": client_id,
        "secret": secret,
        "settings": {"server_url": server_url, "oauth_pkce_enabled": True},
    }


def social_form_action_origins() -> list[str]:
    """Where the sign-in forms may lead (CSP form-action follows their redirects)."""
    providers = social_providers_from_env()
    origins = []
    if providers["google"]["APPS"]:
        origins.append(GOOGLE_AUTHORIZE_ORIGIN)
    if providers["facebook"]["APPS"]:
        origins.append(FACEBOOK_AUTHORIZE_ORIGIN)
    for app in providers["openid_connect"]["APPS"]:
        parts = urlsplit(app["settings"]["server_url"])
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins
