"""Start-up checks of the privacy center (`hisho check`, `migrate`, …).

- privacy.E001: a cookie in policy.yaml names a setting that does not exist.
- privacy.E002: the configured connection-data retention keeps data longer than
  policy.yaml promises (HISHO_CONNECTION_TRUNCATE_DAYS / HISHO_CONNECTION_DELETE_DAYS).
- privacy.W001: policy.yaml differs from the last published version: publish one at
  /staff/privacy/ so that people are told.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from hisho.privacy.cookies import BROWSER_PURPOSES
from hisho.privacy.policy import current_policy


@checks.register("privacy")
def check_policy(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if app_configs is not None and not any(c.label == "privacy" for c in app_configs):
        return []
    policy = current_policy()
    problems: list[checks.CheckMessage] = []
    for cookie in policy.cookies.values():
        if not hasattr(settings, cookie.name_setting):
            problems.append(
                checks.Error(
                    f"policy.yaml cookie {cookie.key!r} names setting {cookie.name_setting}, "
                    "which does not exist.",
                    id="privacy.E001",
                )
            )
    promise = policy.retention["connection"]
    for setting, promised in (
        ("HISHO_CONNECTION_TRUNCATE_DAYS", promise.truncate_ip_after_days),
        ("HISHO_CONNECTION_DELETE_DAYS", promise.delete_after_days),
    ):
        configured = getattr(settings, setting)
        if promised is None or configured > promised:
            problems.append(
                checks.Error(
                    f"{setting} is {configured} days; policy.yaml promises at most {promised}.",
                    hint="Shorten the setting, or change policy.yaml and publish a new version.",
                    id="privacy.E002",
                )
            )
    for purpose in BROWSER_PURPOSES:
        if policy.consent_purpose(purpose) is None:
            problems.append(
                checks.Error(
                    f"cookie choices answer purpose {purpose!r}, which policy.yaml does not "
                    "declare as resting on consent.",
                    id="privacy.E003",
                )
            )
    problems += _publication_warning(policy.digest)
    return problems


def _publication_warning(digest: str) -> list[checks.CheckMessage]:
    from hisho.privacy.consents import latest_version

    try:
        latest = latest_version()
    except DatabaseError:
        return []  # not migrated yet
    if latest is not None and latest.digest != digest:
        return [
            checks.Warning(
                f"policy.yaml has changed since published version {latest.number}.",
                hint="Publish a new version at /staff/privacy/ so that people are told.",
                id="privacy.W001",
            )
        ]
    return []
