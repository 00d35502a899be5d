"""The proof endpoints as an outside client meets them: every size up to the latest
signed head is served (not only the sizes heads were signed at), odd spellings of a
number are refused with a 422, not read as some other number, and nothing a client
sends gives a 500."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from hisho.audit import chain, merkle
from hisho.audit.actions import do_write_checkpoint, record_event
from hisho.audit.models import AuditEvent, AuditTreeHead
from hisho.demo import Demo


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1, written out from the RFC: the tree head of `leaves` (leaf hashes)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def get(path: str, query: str) -> Any:
    return Client().get(f"/api/v1{path}?{query}")


@pytest.fixture
def two_heads(demo: Demo) -> tuple[AuditTreeHead, AuditTreeHead, list[bytes]]:
    first = do_write_checkpoint()
    for n in range(6):
        record_event("test.more", actor=None, extra={"n": n})
    second = do_write_checkpoint()
    assert first is not None and second is not None
    leaves = [
        merkle.leaf_hash(chain.leaf_data(entry))
        for entry in AuditEvent.objects.exclude(leaf_index=None).order_by("leaf_index")
    ]
    assert len(leaves) == second.size
    return first, second, leaves


@pytest.mark.django_db
def test_proofs_are_served_for_every_size_the_latest_head_covers(
    two_heads: tuple[AuditTreeHead, AuditTreeHead, list[bytes]],
) -> None:
    _, second, leaves = two_heads
    signed = set(AuditTreeHead.objects.values_list("size", flat=True))
    unsigned = [size for size in range(1, second.size + 1) if size not in signed]
    assert unsigned, "the test needs sizes no head was signed at"
    for size in range(1, second.size + 1):
        root = mth(leaves[:size])
        for index in range(size):
            response = get("/audit/proof/inclusion", f"index={index}&size={size}")
            assert response.status_code == 200, (index, size, response.content)
            assert response["Access-Control-Allow-Origin"] == "*"
            body = response.json()
            hashes = [base64.b64decode(h) for h in body["hashes"]]
            assert merkle.verify_inclusion(index, size, leaves[index], hashes, root)
        for old in range(1, size + 1):
            response = get("/audit/proof/consistency", f"from={old}&to={size}")
            assert response.status_code == 200, (old, size, response.content)
            assert response["Access-Control-Allow-Origin"] == "*"
            hashes = [base64.b64decode(h) for h in response.json()["hashes"]]
            assert merkle.verify_consistency(old, size, mth(leaves[:old]), root, hashes)
    # Beyond the latest signed head: nothing signed covers it yet.
    beyond = get("/audit/proof/inclusion", f"index=0&size={second.size + 1}")
    assert beyond.status_code == 404
    assert beyond["Content-Type"].startswith("application/problem+json")
    assert get("/audit/proof/consistency", f"from=1&to={second.size + 1}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "number",
    ["1_0", "+1", " 1", "1 ", "01", "00", "1.0", "1e0", "0x1", "١", "²", "１", "-0", ""],
)
def test_a_number_spelt_oddly_is_refused_not_reread(
    two_heads: tuple[AuditTreeHead, AuditTreeHead, list[bytes]], number: str
) -> None:
    _, second, _ = two_heads
    size = second.size
    for path, query in (
        ("/audit/proof/inclusion", f"index={quote(number)}&size={size}"),
        ("/audit/proof/inclusion", f"index=0&size={quote(number)}"),
        ("/audit/proof/consistency", f"from={quote(number)}&to={size}"),
        ("/audit/proof/consistency", f"from=1&to={quote(number)}"),
    ):
        response = get(path, query)
        assert response.status_code == 422, (path, query, response.content)
        assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_a_parameter_given_twice_is_refused(
    two_heads: tuple[AuditTreeHead, AuditTreeHead, list[bytes]],
) -> None:
    _, second, _ = two_heads
    assert get("/audit/proof/inclusion", f"index=0&index=1&size={second.size}").status_code == 422
    assert get("/audit/proof/consistency", f"from=1&to=2&to={second.size}").status_code == 422
    assert get("/audit/proof/inclusion", f"index=0&size={second.size}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("leaf", ["²", "①", "٤٠", "４", "1_0", "+1", "1.0"])
def test_an_entry_proof_path_that_is_not_ascii_digits_is_not_found(
    demo: Demo, api_as: Any, leaf: str
) -> None:
    response = api_as("alice").get(f"/me/access-log/{quote(leaf)}/proof")
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "①", "٤٠"])
def test_a_label_filter_in_other_digits_is_no_filter_not_a_500(
    demo: Demo, web_as: Any, value: str
) -> None:
    response = web_as("kenji").get(f"/errands/?label={quote(value)}")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        ("/audit/checkpoint", ""),  # no head yet: 404
        ("/audit/proof/inclusion", "index=0&size=99999"),  # beyond the latest head: 404
        ("/audit/proof/inclusion", "index=x&size=1"),  # 422
        ("/audit/proof/consistency", "from=2&to=1"),  # 404
        ("/audit/proof/consistency", "from=1&from=1&to=1"),  # 422
    ],
)
def test_the_public_answers_errors_too_can_be_read_from_any_page(query: tuple[str, str]) -> None:
    """A verifier in a browser must tell "not signed yet" from an outage: the errors carry
    the header as the answers do (found by an attack on the log)."""
    response = get(*query)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.django_db
def test_nothing_else_under_the_api_is_opened_to_other_origins(demo: Any) -> None:
    assert "Access-Control-Allow-Origin" not in Client().get("/api/v1/me").headers
    assert "Access-Control-Allow-Origin" not in Client().get("/api/v1/no/such").headers
