"""The export: everything Hisho holds about a person, as one JSON document.

Its shape is hisho/privacy/schemas/export.schema.json (JSON Schema 2020-12; published at
/privacy/export.schema.json, described in docs/privacy.md). Sealed content is opened for
its owner through the same readers the pages use (the owner's reads are not logged).
Only JSON strings, integers, booleans, null, lists and objects: canonical JSON (what the
signature covers) has no floats. `hisho verify-export FILE` checks the signature.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.utils import timezone

from hisho.accounts.access import read_profile
from hisho.accounts.models import Role, User
from hisho.accounts.principal import Principal
from hisho.attachments.export import attachments_for_export
from hisho.desk.content import read_content, read_messages, read_sealed
from hisho.desk.models import Errand
from hisho.desk.tools.labels import labels_of
from hisho.desk.tools.sealed import read_notes, read_rating
from hisho.desk.triage import triage_note
from hisho.notify.access import access_notification_prefs
from hisho.partners.export import offer_clicks_for_export, statistics_contributions_for_export
from hisho.payments.export import payments_for_export
from hisho.privacy.consents import consent_states, version_in_force_number
from hisho.privacy.models import (
    ConnectionRecord,
    ConsentRecord,
    ContactRequest,
    Disclosure,
    PolicyAcknowledgement,
)
from hisho.privacy.policy import current_policy
from hisho.push.export import push_subscriptions_for_export
from hisho.vault.access import own_entries_for_export

EXPORT_TYPE = "hisho.export"
EXPORT_VERSION = 1
MESSAGE_PAGE = 500


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _messages(principal: Principal, errand: Errand) -> list[dict[str, Any]]:
    user = principal.user
    out: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        page = read_messages(principal, errand, after=after, limit=MESSAGE_PAGE)
        out += [
            {
                "id": m.id,
                "from": "you" if m.author_id == user.pk else (m.author_role or "former_user"),
                "author_name": m.author_name,
                "body": m.body,
                "created_at": iso(m.created_at),
                "readable": m.intact,
            }
            for m in page
        ]
        if len(page) < MESSAGE_PAGE:
            return out
        after = page[-1].id


def _errands(principal: Principal) -> list[dict[str, Any]]:
    user = principal.user
    if user.role != Role.CUSTOMER:
        return []
    errands = Errand.objects.filter(customer=user).select_related("assignee").order_by("created_at")
    labels = labels_of(errand.pk for errand in errands)
    out = []
    for errand in errands:
        content = read_content(principal, errand)
        sealed = read_sealed(principal, errand)
        rating = read_rating(principal, errand)
        out.append(
            {
                "id": str(errand.pk),
                "status": errand.status,
                "created_at": iso(errand.created_at),
                "updated_at": iso(errand.updated_at),
                "assignee": (
                    {"id": errand.assignee.pk, "name": errand.assignee.display_name}
                    if errand.assignee
                    else None
                ),
                "title": content.title,
                "details": content.details,
                "category": errand.category,
                "triage_note": triage_note(errand),
                "sealed": {"phone": sealed.phone, "address": sealed.address, "note": sealed.note},
                "readable": content.intact and sealed.intact,
                "messages": _messages(principal, errand),
                # Issue 18: what the assistant noted on it (sealed; shown to nobody but
                # its current assistant in the service), the customer's rating, labels.
                "internal_notes": [
                    {
                        "author_name": note.author_name,
                        "body": note.body,
                        "created_at": iso(note.created_at),
                        "readable": note.intact,
                    }
                    for note in read_notes(principal, errand, limit=100_000)
                ],
                "rating": (
                    {
                        "stars": rating.stars,
                        "comment": rating.comment,
                        "created_at": iso(rating.created_at),
                        "updated_at": iso(rating.updated_at),
                    }
                    if rating
                    else None
                ),
                "labels": [label.name_en for label in labels[errand.pk]],
                "confirmed_at": iso(errand.confirmed_at),
            }
        )
    return out


def _social_accounts(user: User) -> list[dict[str, Any]]:
    if not apps.is_installed("allauth.socialaccount"):
        return []
    from allauth.socialaccount.models import SocialAccount

    return [
        {
            "provider": account.provider,
            "uid": account.uid,
            "date_joined": iso(account.date_joined),
            "received": account.extra_data,
        }
        for account in SocialAccount.objects.filter(user=user).order_by("pk")
    ]


def export_payload(principal: Principal) -> dict[str, Any]:
    user = principal.user
    policy = current_policy()
    profile = read_profile(principal, user)
    notifications = access_notification_prefs(principal)
    return {
        "type": EXPORT_TYPE,
        "v": EXPORT_VERSION,
        "export_id": str(uuid.uuid4()),
        "generated_at": iso(timezone.now()),
        "policy": {"version": version_in_force_number(), "digest": policy.digest},
        "account": {
            "id": user.pk,
            "email": user.email,
            "role": user.role,
            "date_joined": iso(user.date_joined),
            "last_login": iso(user.last_login),
            "approve_assignees": user.approve_assignees,
            "notifications": {"email": notifications.email, "push": notifications.push},
        },
        "profile": {
            "name": profile.name,
            "phone": profile.phone,
            "mailing_address": profile.mailing_address,
            "country": profile.country,
            "language": profile.language,
            "birth_year": profile.birth_year,
            "time_zone": profile.time_zone,
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "social_accounts": _social_accounts(user),
        "sessions": [
            {
                "created_at": iso(s.created_at),
                "last_seen_at": iso(s.last_seen_at),
                "ip": s.ip,
                "user_agent": s.user_agent,
            }
            for s in UserSession.objects.filter(user=user).order_by("created_at")
        ],
        "errands": _errands(principal),
        "payments": payments_for_export(principal),
        "push_subscriptions": push_subscriptions_for_export(principal),
        "attachments": attachments_for_export(principal),
        # policy.yaml `offer_clicks` (read by the person): which partner offers they followed.
        "offer_clicks": offer_clicks_for_export(principal),
        # policy.yaml `statistics_contributions` (read by the person), as My data lists them.
        "statistics_contributions": statistics_contributions_for_export(principal),
        "consents": [
            {
                "purpose": state.purpose.key,
                "granted": state.granted,
                "answered_at": iso(state.answered_at),
                "how": state.how,
                "policy_version": state.policy_version,
            }
            for state in consent_states(user, policy)
        ],
        "consent_history": [
            {
                "purpose": r.purpose,
                "granted": r.granted,
                "at": iso(r.at),
                "how": r.how,
                "policy_version": r.policy_version,
            }
            for r in ConsentRecord.objects.filter(user=user).order_by("at", "pk")
        ],
        "policy_acknowledgements": [
            {"version": a.version.number, "at": iso(a.at), "how": a.how}
            for a in PolicyAcknowledgement.objects.filter(user=user)
            .select_related("version")
            .order_by("at")
        ],
        "disclosures": [
            {
                "recipient": d.recipient,
                "purpose": d.purpose,
                "data": list(d.data),
                "reference": d.reference,
                "at": iso(d.at),
            }
            for d in Disclosure.objects.filter(subject=user).order_by("at", "pk")
        ],
        "access_log": [
            {
                "at": iso(e.at),
                "actor_name": e.actor_name,
                "actor_role": e.actor_role,
                "action": e.action,
                "kinds": e.kind_list,
                "errand_id": str(e.errand_id) if e.errand_id else None,
            }
            for e in own_entries_for_export(principal)
        ],
        "connections": [
            {
                "at": iso(c.at),
                "ip": c.ip,
                "ip_truncated": c.ip_truncated,
                "user_agent": c.user_agent,
                "route": c.route,
                "method": c.method,
                "status": c.status,
            }
            for c in ConnectionRecord.objects.filter(user=user).order_by("at", "pk")
        ],
        "contact_requests": [
            {"id": str(c.pk), "at": iso(c.at), "topic": c.topic}
            for c in ContactRequest.objects.filter(user=user).order_by("at")
        ],
    }
