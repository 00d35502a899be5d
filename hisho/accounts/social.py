"""Sign-in with Google, Facebook or any OpenID Connect provider (POLICY K2; ASVS
v5.0.0-6.8.x, 10.1.2, 10.2.1, 10.5.x).

allauth does the protocols. Hisho adds:
- an OpenID Connect `nonce` on every authorization request, bound to the transaction's
  state in the session and checked against the ID token (v5.0.0-10.5.1); PKCE and the
  state parameter come from allauth (settings: OAUTH_PKCE_ENABLED);
- the ID token's issuer must be exactly the configured one (v5.0.0-10.5.3);
- a provider's e-mail address never signs anyone in to an existing Hisho account:
  linking happens only from inside the signed-in account (SOCIALACCOUNT_EMAIL_
  AUTHENTICATION off; v5.0.0-6.8.1); accounts are keyed by (provider, subject);
- Facebook's friends list is kept only when the person granted `user_friends`, asked
  for only when the operator turned it on;
- what a provider returned is kept in allauth's SocialAccount.extra_data, shown on
  "Connected accounts" (/me/connected/, GET /api/v1/me/connected-accounts) and deleted
  with `do_remove_social_account` (hisho/accounts/actions.py); card numbers anywhere in
  it (a profile's "about", a friend's name) are masked as the row is saved, whichever
  allauth path saves it (`mask_provider_data`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any, cast

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers import registry
from allauth.socialaccount.providers.facebook.flows import compute_appsecret_proof
from allauth.socialaccount.providers.google.provider import (
    GoogleProvider as AllauthGoogleProvider,
)
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider as AllauthOpenIDConnectProvider,
)
from django.http import HttpRequest, HttpResponse

from hisho.accounts.models import User
from hisho.accounts.providers import FACEBOOK_FRIENDS_SCOPE
from hisho.audit.actions import record_event
from hisho.compat.allauth import live_redirect_state_ids
from hisho.dlp import mask_cards
from hisho.errors import NotFound

# Where the nonce travels in allauth's stashed state (session-bound, single use).
NONCE_STATE_KEY = "hisho_oidc_nonce"
# Facebook: how many friends (who also use the app — all Graph returns) are kept at most.
FRIENDS_MAX = 500


def _reject(request: HttpRequest, reason: str) -> Exception:
    """The error allauth turns into a failed sign-in: the callback view catches
    OAuth2Error; the app's token endpoint expects a ValidationError."""
    if "state" in request.GET or "code" in request.GET:
        return cast(Exception, OAuth2Error(reason))
    return cast(Exception, get_social_adapter().validation_error("invalid_token"))


def _id_token_claims(data: dict[str, Any]) -> dict[str, Any] | None:
    """The ID token's claims in what a provider adapter passes on: OpenID Connect's
    code flow gives {"userinfo", "id_token"}, its token flow and Google the claims."""
    claims = data.get("id_token")
    if isinstance(claims, dict):
        return claims
    return data if "iss" in data and "sub" in data else None


class _NonceMixin:
    """Adds `nonce` to the authorization request and checks it in the ID token."""

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: Any = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()  # type: ignore[attr-defined]
        kwargs[NONCE_STATE_KEY] = nonce  # stashed with the state, in the session
        return super().redirect(  # type: ignore[misc,no-any-return]
            request, process, next_url, data, auth_params={**auth_params, "nonce": nonce}, **kwargs
        )

    def stash_redirect_state(
        self, request: HttpRequest, process: Any, *args: Any, **kwargs: Any
    ) -> str:
        state_id: str = super().stash_redirect_state(  # type: ignore[misc]
            request, process, *args, **kwargs
        )
        live = live_redirect_state_ids(request)
        for key in [k for k in list(request.session.keys()) if k.startswith(f"{NONCE_STATE_KEY}.")]:
            if key.split(".", 1)[1] not in live:
                del request.session[key]  # its login was abandoned or expired
        nonce = kwargs.get(NONCE_STATE_KEY)
        if nonce:
            # Also by state id, so the ID token can be checked before allauth looks up
            # or updates any account (the stashed state is consumed before that).
            request.session[f"{NONCE_STATE_KEY}.{state_id}"] = nonce
        return state_id

    def _check_id_token(self, request: HttpRequest, data: dict[str, Any]) -> None:
        state_id = request.GET.get("state")
        if not state_id:
            return  # the app's token flow: the app ran its own authorization request
        expected = request.session.pop(f"{NONCE_STATE_KEY}.{state_id}", None)
        claims = _id_token_claims(data)
        if not expected or claims is None:
            raise _reject(request, "missing nonce")
        nonce = claims.pop("nonce", None)  # not worth keeping with the profile
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, expected):
            raise _reject(request, "nonce mismatch")

    def sociallogin_from_response(
        self, request: HttpRequest, response: dict[str, Any]
    ) -> SocialLogin:
        self._check_id_token(request, response)
        return cast(SocialLogin, super().sociallogin_from_response(request, response))  # type: ignore[misc]


class GoogleProvider(_NonceMixin, AllauthGoogleProvider):
    package = "allauth.socialaccount.providers.google"  # its URLs and templates


class OpenIDConnectProvider(_NonceMixin, AllauthOpenIDConnectProvider):
    package = "allauth.socialaccount.providers.openid_connect"  # its URLs and templates

    def sociallogin_from_response(
        self, request: HttpRequest, response: dict[str, Any]
    ) -> SocialLogin:
        claims = _id_token_claims(response)
        # The issuer as configured (allauth also accepts the metadata document's URL).
        configured = str(self.app.settings.get("server_url", "")).split("/.well-known/")[0]
        configured = configured.rstrip("/")
        if claims is not None and str(claims.get("iss", "")).rstrip("/") != configured:
            # Metadata or a token naming another issuer than the one configured.
            raise _reject(request, "issuer mismatch")
        return super().sociallogin_from_response(request, response)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_cards(value).text
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, dict):
        return {_masked(key): _masked(item) for key, item in value.items()}
    return value


def mask_provider_data(sender: Any, instance: SocialAccount, **_: Any) -> None:
    """pre_save: what a provider returned, card numbers masked in every string (keys too),
    as it will be stored. allauth saves extra_data itself (on sign-up, and on every later
    sign-in before any adapter hook runs), so the row's save is the one seam all share."""
    if isinstance(instance.extra_data, dict | list):
        instance.extra_data = _masked(instance.extra_data)


def connect() -> None:
    from django.db.models.signals import pre_save

    pre_save.connect(mask_provider_data, sender=SocialAccount, dispatch_uid="hisho.provider_data")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.account.provider == "facebook":
            _keep_friends_if_granted(sociallogin)

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        # New people from a provider are customers, like every self-service sign-up
        # (the model's default role); staff roles are granted by an admin.
        user = super().save_user(request, sociallogin, form)
        record_event(
            "account.signed_up",
            actor=user,
            target=user,
            extra={"provider": str(sociallogin.account.provider)[:64]},
        )
        return user


def _keep_friends_if_granted(sociallogin: SocialLogin) -> None:
    """Add Facebook's friends list to what is kept only if the person granted
    `user_friends` (checked with Graph's /me/permissions, not assumed from the request)."""
    data = sociallogin.account.extra_data
    data.pop("friends", None)
    provider = sociallogin.account.get_provider()
    token = sociallogin.token
    if token is None or FACEBOOK_FRIENDS_SCOPE not in provider.get_scope():
        return
    graph = provider.get_settings().get("GRAPH_API_URL")
    params = {
        "access_token": token.token,
        "appsecret_proof": compute_appsecret_proof(provider.app, token),
    }
    with get_social_adapter().get_requests_session() as session:  # type: ignore[no-untyped-call]
        granted = session.get(f"{graph}/me/permissions", params=params)
        granted.raise_for_status()
        permissions = {
            item.get("permission"): item.get("status") for item in granted.json().get("data", [])
        }
        if permissions.get(FACEBOOK_FRIENDS_SCOPE) != "granted":
            return
        friends = session.get(f"{graph}/me/friends", params={**params, "limit": FRIENDS_MAX})
        friends.raise_for_status()
        body = friends.json()
    data["friends"] = {
        "data": [
            {"id": str(f.get("id", "")), "name": str(f.get("name", ""))}
            for f in body.get("data", [])[:FRIENDS_MAX]
        ],
        "total_count": body.get("summary", {}).get("total_count"),
    }
    if sociallogin.is_existing:
        from hisho.accounts.actions import do_store_provider_data

        do_store_provider_data(account=sociallogin.account)


# --- What was received, shown and deleted -------------------------------------------------


@dataclass(frozen=True)
class ConnectedAccount:
    id: int
    provider: str
    provider_name: str
    uid: str
    connected_at: Any
    last_login: Any
    received: dict[str, Any]


def connected_accounts(reader: User | Any, user: User) -> list[ConnectedAccount]:
    """The provider accounts linked to `user` and everything each provider returned:
    for the person themself only (house rule 2)."""
    if not getattr(reader, "is_authenticated", False) or reader.pk != user.pk:
        raise NotFound("No such person.")
    out = []
    for account in SocialAccount.objects.filter(user_id=user.pk).order_by("pk"):
        try:
            name = account.get_provider().name
        except Exception:  # a provider no longer configured: still shown
            provider_class = registry.get_class(account.provider)  # type: ignore[no-untyped-call]
            name = provider_class.name if provider_class else account.provider
        out.append(
            ConnectedAccount(
                id=account.pk,
                provider=account.provider,
                provider_name=str(name),
                uid=account.uid,
                connected_at=account.date_joined,
                last_login=account.last_login,
                received=dict(account.extra_data or {}),
            )
        )
    return out
