"""Plain words for the privacy pages (issue 17): the export and the erasure receipt keep
their machine keys (`read_errand`, `usage_analytics`, `errands_cancelled`); people read
what each means, in their language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy, pgettext_lazy

from hisho.accounts.models import Role
from hisho.desk.models import Status
from hisho.vault.models import AccessAction

PROFILE_LABELS = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "mailing_address": gettext_lazy("Mailing address"),
    "country": gettext_lazy("Country"),
    "language": gettext_lazy("Language"),
    "birth_year": gettext_lazy("Birth year"),
    "time_zone": gettext_lazy("Time zone"),
    "approve_assignees": gettext_lazy("Approve new assistants first"),
}

RECEIPT_LABELS = {
    "sessions_ended": gettext_lazy("Sign-ins ended"),
    "data_keys_destroyed": gettext_lazy("Encryption keys destroyed"),
    "errands_cancelled": gettext_lazy("Open errands cancelled"),
    "messages": gettext_lazy("Chat messages deleted"),
    "errands": gettext_lazy("Errands deleted"),
    "access_log_entries": gettext_lazy("Access-log entries deleted"),
    "email_addresses": gettext_lazy("E-mail addresses deleted"),
    "consent_records": gettext_lazy("Consent records deleted"),
    "policy_acknowledgements": gettext_lazy("Policy read receipts deleted"),
    "disclosure_records": gettext_lazy("Disclosure records deleted"),
    "connection_records": gettext_lazy("Connection records deleted"),
    "contact_requests_deidentified": gettext_lazy("Messages to the privacy contact made anonymous"),
    "payments_unlinked": gettext_lazy("Payments no longer linked to you"),
    "attachments": gettext_lazy("Attached files deleted"),
    "processor_deletion_requests": gettext_lazy(
        "Newsletter and survey services asked to delete your address"
    ),
    "push_subscriptions": gettext_lazy("Push subscriptions deleted"),
    "profile_fields": gettext_lazy("Profile fields deleted"),
}

# What the receipt says was kept, and how (its `kept` list).
KEPT_LABELS = {
    "audit_log_entries": (
        gettext_lazy("Audit-log entries"),
        gettext_lazy("Under a pseudonym whose key was destroyed: nobody can link them to you."),
    ),
    "payments": (
        gettext_lazy("Payments"),
        gettext_lazy(
            "Amount, currency, status, dates and the payment service's references, no longer "
            "linked to you, for as long as tax law requires."
        ),
    ),
    "contact_requests": (
        gettext_lazy("Messages to the privacy contact"),
        gettext_lazy("Only that a message was sent: not the message, not who sent it."),
    ),
    "survey_answers": (
        gettext_lazy("Survey answers"),
        gettext_lazy(
            "They were never linked to you, so they cannot be found: a written answer keeps "
            "what you wrote, without phone numbers, e-mail addresses, card numbers and My "
            "Numbers."
        ),
    ),
}

YES = pgettext_lazy("a setting", "on")
NO = pgettext_lazy("a setting", "off")


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def action_label(action: str) -> str:
    return str(AccessAction(action).label) if action in AccessAction.values else action


def profile_rows(profile: dict[str, Any]) -> list[tuple[str, Any]]:
    rows = []
    for field, value in profile.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = YES if value else NO
        elif field == "language":
            # The language's own name, as the profile's select offers it, not its code.
            value = dict(settings.LANGUAGES).get(value, value)
        rows.append((str(PROFILE_LABELS.get(field, field)), value))
    return rows


def receipt_rows(erased: dict[str, Any]) -> list[tuple[str, Any]]:
    rows = []
    for what, count in erased.items():
        if isinstance(count, list):
            count = ", ".join(str(PROFILE_LABELS.get(f, f)) for f in count) or "—"
        rows.append((str(RECEIPT_LABELS.get(what, what)), count))
    return rows


def kept_rows(kept: list[dict[str, Any]]) -> list[tuple[str, str]]:
    rows = []
    for item in kept:
        what, how = KEPT_LABELS.get(item["what"], (item["what"], item["how"]))
        rows.append((str(what), str(how)))
    return rows
