"""Releases (POLICY O4): catalogue, budget (409 beyond it, exactly), signed stored
releases, the public ledger, each customer's releases and total ε, and no partner
response carrying anything about a person."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from hisho.accounts.models import User
from hisho.demo import Demo
from hisho.partners.actions import do_release_report
from hisho.partners.models import Release, ReleaseContribution
from hisho.privacy.policy import current_policy
from hisho.signing.service import verify_document
from tests.conftest import ROLES

CATALOGUE = current_policy().partner_reports


def test_the_catalogue_is_the_policys(api_as: Any) -> None:
    response = api_as("partner").get("/partner/reports")
    assert response.status_code == 200
    names = [r["name"] for r in response.json()]
    assert names == list(CATALOGUE.reports)
    assert {"customers_by_profile", "errand_categories_by_month", "offer_clicks"} <= set(names)


def test_a_release_is_noisy_counts_of_large_groups_signed_and_stored(
    api_as: Any, crowd: list[User], demo: Demo
) -> None:
    response = api_as("partner").post(
        "/partner/reports/customers_by_profile/releases", {"epsilon": 1.0}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["report"] == "customers_by_profile" and body["epsilon"] == 1.0
    # Only the crowd's group can be large enough; bob and the staff gave no profile.
    assert all(set(row) == {"country", "language", "age_band", "count"} for row in body["rows"])
    assert all(row["count"] >= 10 for row in body["rows"])
    payload = verify_document(body["signed"])
    assert payload["rows"] == body["rows"] and payload["epsilon"] == "1.000"
    assert body["signature"] == body["signed"]["signature"]
    stored = Release.objects.get(pk=body["id"])
    assert stored.signed == body["signed"]
    counted = set(
        ReleaseContribution.objects.filter(release=stored).values_list("person_id", flat=True)
    )
    assert counted == {p.pk for p in crowd} | {demo.people["alice"].pk}


def test_a_partner_verifies_a_release_offline(api_as: Any, tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.test import Client

    body = api_as("partner").post("/partner/reports/customers_by_profile/releases", {}).json()
    keys = Client().get("/.well-known/hisho-signing-keys.json")
    assert keys.status_code == 200
    (tmp_path / "keys.json").write_bytes(keys.content)
    path = tmp_path / "release.json"
    path.write_text(json.dumps(body["signed"]))
    out = StringIO()
    call_command("verify-export", str(path), "--keys", str(tmp_path / "keys.json"), stdout=out)
    assert "VALID: a Hisho partner release" in out.getvalue()
    body["signed"]["payload"]["epsilon"] = "0.001"  # a rewritten release
    path.write_text(json.dumps(body["signed"]))
    with pytest.raises(CommandError, match="NOT VALID: invalid"):
        call_command("verify-export", str(path), "--keys", str(tmp_path / "keys.json"))


def test_the_budget_is_enforced_exactly(api_as: Any) -> None:
    partner = api_as("partner")
    total = CATALOGUE.epsilon_per_month  # 3.0
    assert partner.get("/partner/budget").json()["epsilon_spent"] == 0
    spent = 0.0
    while spent + 1.0 <= total:
        response = partner.post("/partner/reports/customers_by_profile/releases", {"epsilon": 1.0})
        assert response.status_code == 201
        spent += 1.0
    budget = partner.get("/partner/budget").json()
    assert budget["epsilon_spent"] == total and budget["epsilon_total"] == total
    assert re.fullmatch(r"\d{4}-\d{2}", budget["period"])
    # Even the smallest step beyond it is refused, and nothing is released or charged.
    over = partner.post("/partner/reports/customers_by_profile/releases", {"epsilon": 0.001})
    assert over.status_code == 409
    assert over["Content-Type"].startswith("application/problem+json")
    assert Release.objects.count() == int(total)
    assert partner.get("/partner/budget").json()["epsilon_spent"] == total


def test_the_budget_is_per_month_and_per_partner(demo: Demo, monkeypatch: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    partner = demo.people["partner"]
    for _ in range(3):
        do_release_report(actor=partner, report="customers_by_profile", epsilon=1.0)
    later = timezone.now() + dt.timedelta(days=32)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert do_release_report(actor=partner, report="customers_by_profile", epsilon=1.0)


@pytest.mark.parametrize("epsilon", [0, -1, 1.5, "1", None])
def test_epsilon_out_of_range_is_refused(api_as: Any, epsilon: Any) -> None:
    body = {} if epsilon is None else {"epsilon": epsilon}
    response = api_as("partner").post("/partner/reports/customers_by_profile/releases", body)
    if epsilon is None:  # the catalogue's default
        assert response.status_code == 201
        assert response.json()["epsilon"] == CATALOGUE.default_epsilon
    else:
        assert response.status_code == 422


def test_an_unknown_report_is_not_found(api_as: Any) -> None:
    response = api_as("partner").post("/partner/reports/everyone/releases", {"epsilon": 0.5})
    assert response.status_code == 404


def test_the_public_ledger_and_my_releases(api_as: Any, crowd: list[User], web_as: Any) -> None:
    partner = api_as("partner")
    first = partner.post("/partner/reports/customers_by_profile/releases", {"epsilon": 0.5})
    second = partner.post("/partner/reports/errand_categories_by_month/releases", {"epsilon": 0.25})
    assert first.status_code == second.status_code == 201
    ledger = api_as("anonymous").get("/releases")
    assert ledger.status_code == 200
    entries = {e["id"]: e for e in ledger.json()}
    assert set(entries) == {first.json()["id"], second.json()["id"]}
    assert entries[first.json()["id"]]["epsilon"] == 0.5
    assert all(
        set(e) == {"id", "report", "partner", "released_at", "epsilon"} for e in entries.values()
    )
    # alice gave a profile (counted in the first) and has errands (counted in the second).
    mine = api_as("alice").get("/me/releases").json()
    assert {r["id"] for r in mine["releases"]} == set(entries)
    assert mine["epsilon_total"] == 0.75
    # bob gave no profile: counted only in the errands release.
    bobs = api_as("bob").get("/me/releases").json()
    assert [r["id"] for r in bobs["releases"]] == [second.json()["id"]]
    assert bobs["epsilon_total"] == 0.25
    page = web_as("alice").get("/me/data/").content.decode()
    assert "Statistics you were counted in" in page
    assert "Total privacy loss (ε): 0.750" in page and "customers_by_profile" in page


def test_a_flood_of_tiny_releases_pushes_no_release_out_of_the_public_ledger(
    api_as: Any, web_as: Any, monkeypatch: Any
) -> None:
    # A partner may spend its month in steps of ε 0.001 (3,000 releases); the ledger showed
    # the newest 500 and nothing older, so a flood hid every earlier release for good.
    from hisho.partners import access

    monkeypatch.setattr(access, "LEDGER_PAGE", 3, raising=False)
    monkeypatch.setattr(access.ledger, "__defaults__", (3,))
    partner = api_as("partner")
    made = [
        partner.post("/partner/reports/offer_clicks/releases", {"epsilon": 0.001}).json()["id"]
        for _ in range(7)
    ]
    anonymous = api_as("anonymous")
    seen: list[str] = []
    page = anonymous.get("/releases").json()
    for _ in range(5):  # 7 releases in pages of 3, then an empty one
        seen += [e["id"] for e in page]
        if not page:
            break
        page = anonymous.get(f"/releases?before={page[-1]['id']}").json()
    assert seen == made[::-1]  # every release, newest first, each once
    assert anonymous.get("/releases?before=nothing").status_code == 404
    html = web_as("anonymous").get("/releases/").content.decode()
    older = re.search(r'href="\?before=([^"]+)" data-testid="older"', html)
    assert older and older[1] == made[-3]
    second = web_as("anonymous").get(f"/releases/?before={older[1]}").content.decode()
    assert second.count("<tr><td>") == 3 and 'data-testid="older"' in second


def test_my_releases_is_for_customers(api_as: Any) -> None:
    for role in ROLES:
        status = api_as(role).get("/me/releases").status_code
        assert status == {"anonymous": 401, "alice": 200, "bob": 200}.get(role, 403)


# --- nothing about a person reaches a partner -------------------------------------------

PARTNER_GETS = [
    "/partner/reports",
    "/partner/budget",
    "/partner/releases",
    "/partner/offers",
    "/offers",
    "/releases",
    "/me",
]


def _walk(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


def test_no_partner_response_holds_a_persons_id_or_email(
    api_as: Any, web_as: Any, crowd: list[User], demo: Demo
) -> None:
    partner = api_as("partner")
    for report in CATALOGUE.reports:
        assert partner.post(
            f"/partner/reports/{report}/releases", {"epsilon": 0.5}
        ).status_code in (
            201,
            409,
        )
    others = [p for p in User.objects.all() if p.pk != demo.people["partner"].pk]
    emails = [p.email for p in others]
    errand_ids = [str(e.pk) for e in (demo.alice_errand, demo.alice_new_errand, demo.bob_errand)]
    person_ids = {p.pk for p in others}
    for url in PARTNER_GETS:
        response = partner.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        body = json.loads(text)
        if url == "/me":  # the partner's own account
            continue
        assert not any(e in text for e in emails), url
        assert "@" not in text, url
        assert not any(i in text for i in errand_ids), url
        for key, value in _walk(body):
            if key in {"id", "person", "person_id", "customer", "user", "user_id", "assignee"}:
                assert not isinstance(value, int) or value not in person_ids, (url, key)
    for page in ("/partner/", "/releases/"):
        text = web_as("partner").get(page).content.decode()
        assert not any(e in text for e in emails if e != "partner@example.com"), page
        assert not any(i in text for i in errand_ids), page


def test_no_release_spends_more_than_the_lifetime_limit_on_anyone(
    api_as: Any, crowd: list[User], demo: Demo, monkeypatch: Any
) -> None:
    """The monthly budget renews over data that barely changes: a year of releases of one
    group averaged the noise away (found by attacking the releases). Each person's
    releases now stop counting them before their total passes `epsilon_per_person`."""
    import dataclasses

    from hisho.audit.models import AuditEvent
    from hisho.partners import access, actions

    assert current_policy().partner_reports.epsilon_per_person == 10.0
    real = current_policy()
    limited = dataclasses.replace(
        real, partner_reports=dataclasses.replace(real.partner_reports, epsilon_per_person=2.5)
    )
    monkeypatch.setattr(actions, "current_policy", lambda: limited)
    monkeypatch.setattr(access, "current_policy", lambda: limited)
    partner, alice = api_as("partner"), demo.people["alice"]
    crowd_ids = {p.pk for p in crowd} | {alice.pk}

    def release(epsilon: float) -> set[int]:
        response = partner.post(
            "/partner/reports/customers_by_profile/releases", {"epsilon": epsilon}
        )
        assert response.status_code == 201, response.content
        return set(
            ReleaseContribution.objects.filter(release_id=response.json()["id"]).values_list(
                "person_id", flat=True
            )
        )

    assert release(1.0) == crowd_ids
    assert release(1.0) == crowd_ids
    assert release(0.5) == crowd_ids  # 2.5: exactly the limit
    assert release(0.5) == set()  # 3.0 would pass it: nobody of the crowd is counted
    last = AuditEvent.objects.filter(event="partner.release").order_by("-pk").first()
    assert last is not None and last.extra["people_at_limit"] == len(crowd_ids)
    mine = api_as("alice").get("/me/releases").json()
    assert mine["epsilon_total"] == 2.5 and mine["epsilon_limit"] == 2.5
    assert len(mine["releases"]) == 3
