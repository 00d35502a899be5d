"""`{% privacy_banners %}`: the cookie question and the policy-change notice, for base.html."""

from __future__ import annotations

from typing import Any

from django import template

from hisho.privacy import cookies
from hisho.privacy.consents import unacknowledged_version

register = template.Library()


@register.inclusion_tag("privacy/banner_parts.html", takes_context=True)
def privacy_banners(context: Any) -> dict[str, Any]:
    request = context.get("request")
    if request is None:
        return {}
    user = getattr(request, "user", None)
    version = unacknowledged_version(user)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "cookie_question": cookies.needs_banner(request),
        "policy_version": version,
        "changes": version.changes(request.LANGUAGE_CODE) if version else "",
        "next": request.get_full_path(),
    }
