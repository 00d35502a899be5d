"""`/api/v1/me/connected-accounts`: what Google, Facebook or another provider returned
when the caller signed in with it (POLICY K2), and deleting it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from hisho.accounts.actions import do_remove_social_account
from hisho.accounts.models import User
from hisho.accounts.security import require_recent_authentication
from hisho.accounts.social import ConnectedAccount, connected_accounts
from hisho.schemas import with_errors

router = Router(tags=["me"])


class ConnectedAccountOut(Schema):
    id: int
    provider: str
    provider_name: str
    uid: str
    connected_at: dt.datetime
    last_login: dt.datetime | None
    # Everything the provider returned, as it returned it (basic profile, e-mail, and the
    # Facebook friends list only when the person granted it).
    received: dict[str, Any]


def _out(account: ConnectedAccount) -> ConnectedAccountOut:
    return ConnectedAccountOut(**account.__dict__)


@router.get(
    "/me/connected-accounts",
    response=with_errors({200: list[ConnectedAccountOut]}),
    summary="Sign-in providers linked to you, and what each returned",
)
def list_connected_accounts(request: HttpRequest) -> list[ConnectedAccountOut]:
    user: User = request.user  # type: ignore[assignment]
    return [_out(account) for account in connected_accounts(user, user)]


@router.delete(
    "/me/connected-accounts/{account_id}",
    response=with_errors({200: list[ConnectedAccountOut]}),
    summary="Disconnect a provider and delete what it returned (re-authenticate first)",
)
def remove_connected_account(request: HttpRequest, account_id: int) -> list[ConnectedAccountOut]:
    user: User = request.user  # type: ignore[assignment]
    require_recent_authentication(request)
    do_remove_social_account(actor=user, account_id=account_id)
    return [_out(account) for account in connected_accounts(user, user)]
