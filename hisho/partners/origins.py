"""An offer's origin, as the leaving notice names it to the browser (CSP form-action) and
to the visitor: its button's POST is answered by a redirect to the partner's site, and a
form's redirect is governed by form-action too."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# What a CSP host-source can say: a scheme, a host name or IPv4 address, a port. An IPv6
# literal cannot be written in CSP at all (host-part has no brackets).
_ORIGIN = re.compile(r"https?://[a-z0-9.\-]+(:[0-9]{1,5})?")


def partner_origin(url: str) -> str | None:
    """The origin of an offer's address as a CSP source (`https://host[:port]`, the host
    in its ASCII form), or None if it has none Hisho can name safely."""
    parts = urlsplit(url)
    try:
        netloc = parts.netloc.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    origin = f"{parts.scheme.lower()}://{netloc}"
    return origin if _ORIGIN.fullmatch(origin) else None
