"""Django's admin site shows Hisho's own model admins and nothing else.

Installed libraries register theirs (allauth's e-mail addresses, authenticators, social
accounts and user sessions, the job queue's results, auth's groups), and each of those
edits what Hisho guards: one superuser could mark a new e-mail address on an assistant's
account verified, delete their second factor, reset the password and read, as them, the
errands they hold — no second person, no audit entry for the takeover — and could list
every customer's IP address and browser. Hisho's own admins (accounts, desk) show ids and
change nothing but through actions (hisho/accounts/admin.py)."""

from __future__ import annotations

from django.apps import apps
from django.contrib.admin import AdminSite


def keep_only_hisho_admins(site: AdminSite) -> list[str]:
    """Unregister every model admin of a model outside Hisho's apps; returns their labels."""
    removed = []
    for model in apps.get_models(include_auto_created=True):
        if site.is_registered(model) and not model._meta.app_config.name.startswith("hisho."):
            site.unregister(model)
            removed.append(model._meta.label)
    return sorted(removed)
