"""The transparency log over HTTP (API.md, "Transparency log"). Mounted at the API root:
`api.add_router("/", hisho.audit.api.router)`.

Public, no sign-in (leaves are hashes, never personal data):
- `GET /audit/checkpoint` → text/plain, the latest signed tree head (a C2SP checkpoint);
- `GET /audit/proof/inclusion?index=N&size=S` → `{index, size, leaf_hash, hashes}`;
- `GET /audit/proof/consistency?from=A&to=B` → `{from, to, hashes}`.
Hashes are standard base64. Sizes up to the latest signed head's are served.

The customer's own (signed in): `GET /me/access-log/{leaf_index}/proof` → one "Who saw
my data" entry as a bundle to verify offline (`hisho audit-verify-proof FILE`).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from hisho.accounts.principal import principal_of
from hisho.audit import tree
from hisho.audit.models import AuditTreeHead
from hisho.errors import InvalidInput, NotFound
from hisho.problems import Problem
from hisho.schemas import with_errors
from hisho.textcheck import is_ascii_digits

router = Router(tags=["transparency log"])

MAX_INDEX = 2**53 - 1


def _decimal(value: Any) -> Any:
    """A query parameter's own text, as C2SP writes sizes: ASCII decimal digits, no sign,
    no spaces, no underscores, no leading zeros (pydantic would read "1_0" as 10 and
    " +1 " as 1 — numbers nobody meant)."""
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise ValueError("a whole number in ASCII digits, without a sign or leading zeros")
    return value


_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class InclusionParams(Schema):
    index: int = Field(ge=0, le=MAX_INDEX)
    size: int = Field(ge=1, le=MAX_INDEX)

    _strict = field_validator("index", "size", mode="before")(_decimal)


class InclusionOut(Schema):
    index: int
    size: int
    leaf_hash: str
    hashes: list[str]


class ConsistencyParams(Schema):
    from_: int = Field(alias="from", ge=1, le=MAX_INDEX)
    to: int = Field(ge=1, le=MAX_INDEX)

    _strict = field_validator("from_", "to", mode="before")(_decimal)


class ConsistencyOut(Schema):
    from_: int = Field(alias="from", serialization_alias="from")
    to: int
    hashes: list[str]


def _each_once(request: HttpRequest, *names: str) -> None:
    """A parameter given twice is refused: which one would count is a guess (Django's
    QueryDict keeps the last, a proxy or cache in front may key on the first)."""
    for name in names:
        if len(request.GET.getlist(name)) > 1:
            raise InvalidInput(name, "Given more than once.")


def _within_signed(*sizes: int) -> AuditTreeHead:
    head = tree.latest_head()
    if head is None:
        raise NotFound("The log has no signed tree head yet.")
    if max(sizes) > head.size:
        raise NotFound("No signed tree head that large yet.")
    return head


@router.get(
    "/audit/checkpoint",
    auth=None,
    response={200: str, 404: Any},
    summary="The latest signed tree head: a C2SP checkpoint (text/plain, public)",
    openapi_extra={
        "responses": {200: {"description": "A signed note", "content": {"text/plain": {}}}}
    },
)
def get_checkpoint(request: HttpRequest) -> HttpResponse:
    head = tree.latest_head()
    if head is None:
        raise NotFound("The log has no signed tree head yet.")
    response = HttpResponse(head.note, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def _with_incomplete(ok: dict[int, object]) -> dict[int, object]:
    # 503: the stored tree lacks nodes a proof needs (tree.TreeIncomplete) — the
    # operator's to repair, never the caller's fault.
    return {**with_errors(ok), 503: Problem}


@router.get(
    "/audit/proof/inclusion",
    auth=None,
    response=_with_incomplete({200: InclusionOut}),
    summary="An RFC 6962 inclusion proof of leaf `index` in the tree of `size` (public)",
)
def get_inclusion_proof(request: HttpRequest, params: Query[InclusionParams]) -> Any:
    _each_once(request, "index", "size")
    if params.index >= params.size:
        # No such proof: a tree of `size` leaves has none at `index` (a relation between
        # two parameters, which the schema cannot state; 404 like any missing object).
        raise NotFound("No leaf at that index in a tree of that size: index must be < size.")
    latest = _within_signed(params.size)
    proof = tree.inclusion_proof(params.index, params.size, latest=latest)
    return InclusionOut(
        index=proof.index,
        size=proof.size,
        leaf_hash=tree.b64(proof.leaf_hash),
        hashes=[tree.b64(h) for h in proof.hashes],
    )


@router.get(
    "/audit/proof/consistency",
    auth=None,
    response=_with_incomplete({200: ConsistencyOut}),
    summary="An RFC 6962 consistency proof between tree sizes `from` and `to` (public)",
    by_alias=True,
)
def get_consistency_proof(request: HttpRequest, params: Query[ConsistencyParams]) -> Any:
    _each_once(request, "from", "to")
    if params.from_ > params.to:
        raise NotFound("No such proof: a tree never shrinks, so `from` must not exceed `to`.")
    latest = _within_signed(params.to)
    hashes = tree.consistency_proof(params.from_, params.to, latest=latest)
    return {"from": params.from_, "to": params.to, "hashes": [tree.b64(h) for h in hashes]}


class EntryProofOut(Schema):
    type: str
    v: int
    entry: dict[str, Any]
    leaf_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]
    checkpoint: str
    verifier_key: str


@router.get(
    "/me/access-log/{leaf_index}/proof",
    response=_with_incomplete({200: EntryProofOut}),
    summary="One of my access-log entries with its inclusion proof and signed head (customers)",
)
def get_access_log_proof(request: HttpRequest, leaf_index: str) -> Any:
    from hisho.audit.proofs import access_log_entry_bundle

    # Taken as text, like every id in a path: what is not a leaf of yours is not found,
    # whatever its shape (an entry not integrated yet has no index: `null`).
    if not is_ascii_digits(leaf_index) or len(leaf_index) > 18:
        raise NotFound("No such entry in your access log.")
    return access_log_entry_bundle(principal_of(request), int(leaf_index))
