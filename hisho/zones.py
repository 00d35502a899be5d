"""Time zones people can choose (issue 17): an IANA name on the profile, empty meaning
Hisho's own zone (settings.TIME_ZONE, Asia/Tokyo). Pages show times in the reader's zone
(hisho/accounts/middleware.py) and e-mails in the recipient's (`speaking_to`)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

# Offered first on the profile page: where Hisho's customers live or come from.
COMMON_ZONES = (
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Taipei",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Bangkok",
    "Australia/Sydney",
    "Pacific/Honolulu",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "UTC",
)


# Files in the zone database that name no place: "localtime" is the server's own zone (a
# link to /etc/localtime on Debian, so its meaning is the host's, and changes with it),
# "Factory" shows times as "-00", "posixrules" is the POSIX TZ default.
NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACES


def is_known(name: str) -> bool:
    return name in known_zones()


def zone_of(person: Any) -> zoneinfo.ZoneInfo:
    """The person's zone; Hisho's own when they chose none (or one no longer known)."""
    name = getattr(person, "time_zone", "") or ""
    if name and is_known(name):
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def zone_choices() -> list[tuple[Any, Any]]:
    """The profile page's select: Hisho's default, the common zones, then every zone."""
    rest = sorted(known_zones() - set(COMMON_ZONES))
    return [
        ("", _("Japan time (Asia/Tokyo, the default)")),
        (_("Common"), [(name, name) for name in COMMON_ZONES]),
        (_("All time zones"), [(name, name) for name in rest]),
    ]


@contextmanager
def speaking_to(person: Any) -> Iterator[None]:
    """Write to `person`: in their language and with times in their zone (e-mails)."""
    language = getattr(person, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(zone_of(person)):
        yield
