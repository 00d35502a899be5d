"""`GET /api/v1/me/access-log`: every time staff unsealed the caller's data (API.md)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from hisho.accounts.principal import principal_of
from hisho.audit.proofs import leaf_indices_for_access_log
from hisho.schemas import with_errors
from hisho.vault.access import access_log_for

router = Router(tags=["me"])


class AccessLogOut(Schema):
    at: dt.datetime
    actor_name: str
    actor_role: str
    action: str
    # Every kind of read this entry stands for (one entry per errand per request).
    kinds: list[str]
    errand_id: uuid.UUID | None
    # Its leaf in the audit log's Merkle tree; null until the sequencer integrated it.
    leaf_index: int | None


class AccessLogParams(Schema):
    limit: int = Field(default=500, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000)


@router.get(
    "/me/access-log",
    response=with_errors({200: list[AccessLogOut]}),
    summary="Who saw my data: each time staff unsealed it, newest first (customers)",
)
def get_access_log(request: HttpRequest, params: Query[AccessLogParams]) -> list[AccessLogOut]:
    entries = list(
        access_log_for(principal_of(request))[params.offset : params.offset + params.limit]
    )
    leaves = leaf_indices_for_access_log([entry.pk for entry in entries])
    return [
        AccessLogOut(
            at=entry.at,
            actor_name=entry.actor_name,
            actor_role=entry.actor_role,
            action=entry.action,
            kinds=entry.kind_list,
            errand_id=entry.errand_id,
            leaf_index=leaves.get(entry.pk),
        )
        for entry in entries
    ]
