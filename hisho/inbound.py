"""Inbound free text, checked and scrubbed before an action does anything with it.

Every action that accepts text from a person calls `scrub` for each field (house rule
4): the text is checked (length, control characters) and card numbers are masked to
their last four digits, so an unmasked number is never persisted, logged, queued or
broadcast (POLICY K9). The caller learns how many were masked and tells the sender.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase

from hisho.compat.allauth import (
    PENDING_LOGIN_KEY,
    SOCIAL_SIGNUP_KEY,
    SOCIAL_STATES_KEY,
    SUSPENDED_REQUEST_KEY,
)
from hisho.dlp import distrust_typed_masks, mask_cards
from hisho.errors import InvalidInput
from hisho.redaction import carries_card, mask_cards_decoded
from hisho.textcheck import text_problem

__all__ = ["carries_card", "mask_cards_decoded", "regions_of", "scrub"]


@dataclass(frozen=True)
class Scrubbed:
    text: str
    cards_masked: int


def scrub(field: str, value: str, *, max_length: int, required: bool = False) -> Scrubbed:
    problem = text_problem(value, max_length=max_length, required=required)
    if problem:
        raise InvalidInput(field, problem)
    masked = mask_cards(distrust_typed_masks(value.strip()))
    return Scrubbed(text=masked.text, cards_masked=masked.cards_masked)


# Regions of the languages Hisho offers, for phone numbers written in national form.
_LANGUAGE_REGIONS = {"ja": "JP", "en": ""}


def regions_of(user: Any) -> tuple[str, ...]:
    """The sender's own regions, tried first for national phone numbers: the country of
    their profile, then their language's region (``find(..., regions=...)``)."""
    country = (getattr(user, "country", "") or "").upper()
    language = (getattr(user, "language", "") or "")[:2]
    regions = [country, _LANGUAGE_REGIONS.get(language, "")]
    return tuple(dict.fromkeys(r for r in regions if len(r) == 2))


class MaskCardsInHeaders:
    """Kept headers pass DLP before any code reads them: the User-Agent is stored in
    connection records (do_record_connection, exported) and in allauth's user sessions,
    so a card number typed into it is masked in ``request.META`` first (POLICY K9)."""

    KEPT = ("HTTP_USER_AGENT",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        for key in self.KEPT:
            value = request.META.get(key)
            if isinstance(value, str) and any(ch.isdigit() for ch in value):
                request.META[key] = mask_cards_decoded(value)
        return self.get_response(request)


class MaskCardsInSession:
    """What a request leaves in the session passes DLP before the session is saved (it is a
    row of the database, or a Redis key). allauth keeps a POST it interrupts for a fresh
    sign-in there whole — form fields, query string and every header — to replay it
    afterwards, a sign-in's ``next`` address while a second step is pending or the visitor
    is at a provider, and what a provider returned while its sign-up form waits; a card
    number in any of them is masked, as in a kept header (POLICY K9), and the fields the
    view marks sensitive (a password being set) are not kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.modified:
            return response
        # Only the states that carry a client's text are read. The rest of the session is
        # machine values that must survive unchanged: Django's session hash (64 hex digits)
        # reads as a card about once in 800, a provider's numeric uid often does, and
        # masking either would sign that person out, or stop their sign-in.
        suspended = session.get(SUSPENDED_REQUEST_KEY)
        if suspended is not None:
            # Fields a view marks sensitive (a new password) are not kept at all: replayed
            # without them, the form asks for them again.
            hidden = getattr(request, "sensitive_post_parameters", ())
            masked = _masked_state(suspended, hidden)
            if masked != suspended:
                session[SUSPENDED_REQUEST_KEY] = masked
        pending = session.get(PENDING_LOGIN_KEY)
        if isinstance(pending, dict):
            masked_login = dict(pending)
            url = pending.get("redirect_url")
            if isinstance(url, str) and carries_card(url):
                masked_login["redirect_url"] = mask_cards_decoded(url)
            signal_kwargs = pending.get("signal_kwargs")
            if isinstance(signal_kwargs, dict) and "sociallogin" in signal_kwargs:
                social = _masked_sociallogin(signal_kwargs["sociallogin"])
                masked_login["signal_kwargs"] = {**signal_kwargs, "sociallogin": social}
            if masked_login != pending:
                session[PENDING_LOGIN_KEY] = masked_login
        # A sign-in through a provider that needs the sign-up form waits with all the
        # provider returned: masked as the SocialAccount row it becomes is
        # (hisho.accounts.social.mask_provider_data).
        signup = session.get(SOCIAL_SIGNUP_KEY)
        if isinstance(signup, dict):
            masked_signup = _masked_sociallogin(signup)
            if masked_signup != signup:
                session[SOCIAL_SIGNUP_KEY] = masked_signup
        # A social sign-in keeps its `next` in its redirect state while the visitor is at the
        # provider; back, the state becomes the pending sign-in's or sign-up's own.
        states = session.get(SOCIAL_STATES_KEY)
        if isinstance(states, dict):
            masked_states = {sid: _masked_next(stashed) for sid, stashed in states.items()}
            if masked_states != states:
                session[SOCIAL_STATES_KEY] = masked_states
        return response


# The serialised user's fields a provider fills in (allauth's populate_user).
_PROVIDER_USER_FIELDS = ("name", "first_name", "last_name")


def _masked_sociallogin(data: Any) -> Any:
    """A serialised SocialLogin with card numbers masked in what the provider returned
    (`account.extra_data`) and the names it gave; its ids (`uid`, often 15 to 21 digits
    that read as a card) and tokens unchanged, or the sign-in could not be finished."""
    if not isinstance(data, dict):
        return data
    masked = dict(data)
    account = data.get("account")
    if isinstance(account, dict) and "extra_data" in account:
        masked["account"] = {**account, "extra_data": _masked(account["extra_data"])}
    user = data.get("user")
    if isinstance(user, dict):
        masked["user"] = {
            **user,
            **{
                field: _masked(user[field])
                for field in _PROVIDER_USER_FIELDS
                if isinstance(user.get(field), str)
            },
        }
    return masked


def _masked_next(stashed: Any) -> Any:
    """A social redirect state as allauth stashes it, `(state, time, provider id)`, with a
    card number masked in the state's `next` address; the rest unchanged."""
    if not isinstance(stashed, (list, tuple)) or not stashed or not isinstance(stashed[0], dict):
        return stashed
    state, *rest = stashed
    url = state.get("next")
    if not isinstance(url, str) or not carries_card(url):
        return stashed
    return [{**state, "next": mask_cards_decoded(url)}, *rest]


def _masked(value: Any) -> Any:
    """``value`` (what JSON holds) with card numbers masked in every string in it."""
    if isinstance(value, str):
        return mask_cards_decoded(value) if carries_card(value) else value
    if isinstance(value, dict):
        return {_masked(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _masked_state(state: Any, hidden: Any = ()) -> Any:
    """allauth's suspended request: the JSON of its parts, its query and form fields kept
    %-encoded, so that it can still be replayed; the form fields named in ``hidden``
    (``"__ALL__"``: every one) dropped."""
    if not isinstance(state, dict) or not isinstance(state.get("request"), str):
        return _masked(state)
    try:
        parts = json.loads(state["request"])
    except ValueError:
        return _masked(state)
    if not isinstance(parts, dict):
        return _masked(state)
    for name, value in parts.items():
        if name in ("GET", "POST") and isinstance(value, str):
            drop = hidden if name == "POST" and hidden else ()
            if drop or carries_card(value):
                pairs = parse_qsl(value, keep_blank_values=True)
                kept = [(k, v) for k, v in pairs if drop != "__ALL__" and k not in drop]
                parts[name] = urlencode([(_masked(k), _masked(v)) for k, v in kept])
        else:
            parts[name] = _masked(value)
    rest = _masked({k: v for k, v in state.items() if k != "request"})
    return {**rest, "request": json.dumps(parts)}


# Told to the sender when a card number was removed, in their language. Kept here rather
# than in the translation catalogue because it must exist in every language Hisho offers.
CARD_NOTICE = {
    "en": (
        "We never store card numbers, so we removed it and kept only its last four digits. "
        "To pay, your assistant will send you a secure payment link."
    ),
    "ja": (
        "カード番号は保存しません。下4桁のみを残して削除しました。"
        "お支払いには、担当アシスタントが安全な決済リンクをお送りします。"
    ),
}


# Told when a card number refuses what was sent (a file's name or a PDF's text): there is
# nothing to mask in a file, so it is not kept at all.
CARD_REFUSED_NOTICE = {
    "en": (
        "We never store card numbers, so we did not keep this file: it holds a card number. "
        "Cover or remove it and send the file again. To pay, your assistant will send you "
        "a secure payment link."
    ),
    "ja": (
        "カード番号は保存しないため、カード番号を含むこのファイルは保存しませんでした。"
        "カード番号を隠すか削除してから、もう一度お送りください。"
        "お支払いには、担当アシスタントが安全な決済リンクをお送りします。"
    ),
}


def card_refused_notice(language: str | None) -> str:
    return CARD_REFUSED_NOTICE.get((language or "en")[:2], CARD_REFUSED_NOTICE["en"])


def card_notice(language: str | None) -> str:
    return CARD_NOTICE.get((language or "en")[:2], CARD_NOTICE["en"])


def notice_for(cards_masked: int, *, language: str | None, fallback: str | None) -> str | None:
    """What to tell the sender after an action masked `cards_masked` card numbers: in
    their profile's language, else the request's; None when nothing was masked."""
    return card_notice(language or fallback) if cards_masked else None


def tell_about_cards(request: HttpRequest, user: Any, cards_masked: int) -> None:
    """Web pages: warn the sender on the next page when card numbers were removed."""
    notice = notice_for(cards_masked, language=user.language, fallback=request.LANGUAGE_CODE)
    if notice:
        messages.warning(request, notice)
