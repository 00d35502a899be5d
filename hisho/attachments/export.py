"""The customer's files in their export (hisho.privacy.export): what each file is, its
name opened for them through the vault, and where to download it. The files themselves
stay out of the JSON document (up to 20 MB each, base64 in a signed document helps no
one); each is one signed-in download away (docs/attachments.md)."""

from __future__ import annotations

from typing import Any

from hisho.accounts.models import Role
from hisho.accounts.principal import Principal
from hisho.attachments.access import read_attachments
from hisho.desk.models import Errand


def _iso(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))


def attachments_for_export(principal: Principal) -> list[dict[str, Any]]:
    user = principal.user
    if user.role != Role.CUSTOMER:
        return []
    out: list[dict[str, Any]] = []
    for errand in Errand.objects.filter(customer=user).order_by("created_at", "pk"):
        for view in read_attachments(principal, errand):
            if view.uploaded_by_id == user.pk:
                uploaded_by = "you"
            else:
                uploaded_by = "assistant" if view.uploaded_by_id else "former_user"
            out.append(
                {
                    "id": str(view.id),
                    "errand_id": str(errand.pk),
                    "name": view.name,
                    "content_type": view.content_type,
                    "size": view.size,
                    "created_at": _iso(view.created_at),
                    "uploaded_by": uploaded_by,
                    "download": f"/api/v1/errands/{errand.pk}/attachments/{view.id}",
                    "readable": view.intact,
                }
            )
    return out
