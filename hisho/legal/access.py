"""Who may see disclosure cases: admins only. Other roles lack the whole function (403);
an unknown case is not found (404)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from hisho.accounts.access import require_role
from hisho.accounts.models import Role
from hisho.errors import NotFound
from hisho.legal.models import DisclosureCase

CASE_NOT_FOUND = "No such disclosure case."


def require_admin(user: Any) -> None:
    require_role(user, Role.ADMIN, detail="Only admins handle legal disclosures.")


def access_case(user: Any, case_id: Any, *, for_write: bool = False) -> DisclosureCase:
    require_admin(user)
    try:
        pk = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError:
        raise NotFound(CASE_NOT_FOUND) from None
    cases = DisclosureCase.objects.all()
    if for_write:
        cases = cases.select_for_update()
    case = cases.filter(pk=pk).first()
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    return case


def cases_for(user: Any) -> QuerySet[DisclosureCase]:
    require_admin(user)
    return DisclosureCase.objects.order_by("-opened_at", "-pk")
