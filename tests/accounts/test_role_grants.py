"""Staff roles by four eyes (POLICY K7, DESIGN rule 11). What a hostile admin tried: sign
up a second account, make it an assistant, enrol it in TOTP, assign alice's errand to it
and read everything — or make it an admin that approves their own legal disclosure.
Now one admin alone can make nobody staff: a grant waits for a different admin."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from hisho.accounts.actions import do_approve_role_grant, do_request_role, do_update_profile
from hisho.accounts.models import RoleGrant, User
from hisho.audit.models import AuditEvent
from hisho.demo import DEMO_TOTP_SECRET, Demo
from hisho.errors import Forbidden
from tests.openapi import ApiClient

PUPPET = "puppet@example.com"
PASSWORD = "a-long-sock-puppet-passphrase"


def sign_up_puppet() -> User:
    """A second account, signed up the way anyone can."""
    response = Client().post(
        "/_allauth/app/v1/auth/signup",
        json.dumps({"email": PUPPET, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code in (200, 401), response.content
    return User.objects.get(email=PUPPET)


@pytest.mark.parametrize("role", ["assistant", "admin", "partner"])
def test_one_admin_alone_makes_nobody_staff(demo: Demo, api_as: Any, role: str) -> None:
    puppet = sign_up_puppet()
    admin = api_as("admin")
    asked = admin.put(f"/people/{puppet.pk}/role", {"role": role})
    assert asked.status_code == 202, asked.content
    grant = asked.json()
    assert grant["status"] == "pending" and grant["person_id"] == puppet.pk
    assert grant["requested_by"] == demo.people["admin"].pk
    puppet.refresh_from_db()
    assert puppet.role == "customer"  # nothing changed yet
    # The requester cannot approve it, however they try.
    assert admin.post(f"/people/role-grants/{grant['id']}/approve").status_code == 403
    with pytest.raises(Forbidden):
        do_approve_role_grant(actor=demo.people["admin"], grant_id=grant["id"])
    puppet.refresh_from_db()
    assert puppet.role == "customer"
    # …and the would-be staff member cannot reach what staff reach.
    if role == "assistant":
        assert (
            admin.post(
                f"/errands/{demo.alice_errand.pk}/assign", {"assistant_id": puppet.pk}
            ).status_code
            == 422
        )  # not an assistant
    # A different admin approves: now it takes effect.
    approved = api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    puppet.refresh_from_db()
    assert puppet.role == role


def test_each_step_is_audited_and_the_person_told(
    demo: Demo, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    puppet = sign_up_puppet()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        grant = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "assistant"}).json()
    assert [m.to for m in mail.outbox] == [[PUPPET]]
    assert "second admin" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve")
    assert [m.to for m in mail.outbox] == [[PUPPET], [PUPPET]]
    events = list(
        AuditEvent.objects.filter(target_id=str(puppet.pk), event__startswith="account.role")
        .order_by("id")
        .values_list("event", "actor_id")
    )
    admin, admin2 = demo.people["admin"].pk, demo.people["admin2"].pk
    assert events == [
        ("account.role_requested", admin),
        ("account.role_grant_approved", admin2),
        ("account.role_changed", admin2),
    ]


def test_grants_expire_after_seven_days(demo: Demo, api_as: Any) -> None:
    puppet = sign_up_puppet()
    grant = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "assistant"}).json()
    RoleGrant.objects.filter(pk=grant["id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve").status_code == 409
    puppet.refresh_from_db()
    assert puppet.role == "customer"
    listed = api_as("admin2").get("/people/role-grants?status=expired").json()
    assert [g["id"] for g in listed] == [grant["id"]]
    assert api_as("admin2").get("/people/role-grants?status=pending").json() == []


def test_reject_and_withdraw(demo: Demo, api_as: Any) -> None:
    puppet = sign_up_puppet()
    first = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "admin"}).json()
    withdrawn = api_as("admin").post(f"/people/role-grants/{first['id']}/reject")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "rejected"
    second = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "admin"}).json()
    assert second["id"] != first["id"]
    assert api_as("admin2").post(f"/people/role-grants/{second['id']}/reject").status_code == 200
    assert api_as("admin2").post(f"/people/role-grants/{second['id']}/approve").status_code == 409
    puppet.refresh_from_db()
    assert puppet.role == "customer"


def test_removing_a_role_is_at_once_and_cancels_pending_grants(demo: Demo, api_as: Any) -> None:
    kenji = demo.people["kenji"]
    grant = do_request_role(actor=demo.people["admin"], user=kenji, role="admin")
    assert isinstance(grant, RoleGrant)
    removed = api_as("admin2").put(f"/people/{kenji.pk}/role", {"role": "customer"})
    assert removed.status_code == 200 and removed.json()["role"] == "customer"
    grant.refresh_from_db()
    assert grant.status == "rejected"


def test_only_admins_with_a_passed_second_factor_take_part(demo: Demo, api_as: Any) -> None:
    from tests.security.test_mfa import password_step

    puppet = sign_up_puppet()
    grant = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "assistant"}).json()
    for handle in ("alice", "kenji", "partner"):
        client = api_as(handle)
        assert client.put(f"/people/{puppet.pk}/role", {"role": "admin"}).status_code == 403
        assert client.get("/people/role-grants").status_code == 403
        assert client.post(f"/people/role-grants/{grant['id']}/approve").status_code == 403
    # admin2 with a password only (the second step not taken): 403 on every staff function.
    half = ApiClient(password_step("admin2").json()["meta"]["session_token"])
    assert half.post(f"/people/role-grants/{grant['id']}/approve").status_code in (401, 403)
    assert api_as("anonymous").get("/people/role-grants").status_code == 401
    assert api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve").status_code == 200


def test_bad_grant_ids_are_a_clear_4xx(demo: Demo, api_as: Any) -> None:
    admin2 = api_as("admin2")
    assert admin2.post("/people/role-grants/not-a-uuid/approve").status_code == 422
    missing = "00000000-0000-4000-8000-000000000000"
    assert admin2.post(f"/people/role-grants/{missing}/approve").status_code == 404
    assert admin2.get("/people/role-grants?status=maybe").status_code == 422


def test_an_approved_assistant_still_reads_nothing_before_a_second_factor(
    demo: Demo, api_as: Any
) -> None:
    """A newly granted assistant, assigned alice's errand, opens nothing until they enrol a
    second factor and sign in with it."""
    from hisho.accounts.actions import do_enrol_totp
    from hisho.desk.actions import do_assign_errand

    puppet = sign_up_puppet()
    grant = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "assistant"}).json()
    api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve")
    do_assign_errand(actor=demo.people["admin2"], errand=demo.alice_errand, assistant_id=puppet.pk)
    token = (
        Client()
        .post(
            "/_allauth/app/v1/auth/login",
            json.dumps({"email": PUPPET, "password": PASSWORD}),
            content_type="application/json",
        )
        .json()["meta"]["session_token"]
    )
    assert ApiClient(token).get(f"/errands/{demo.alice_errand.pk}").status_code == 403
    do_enrol_totp(actor=puppet, user=puppet, secret=DEMO_TOTP_SECRET)
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": PUPPET, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 401  # the second step is asked for
    pending = ApiClient(response.json()["meta"]["session_token"])
    assert pending.get(f"/errands/{demo.alice_errand.pk}").status_code == 401
    # The token from before the enrolment never passed a second factor: still nothing.
    assert ApiClient(token).get(f"/errands/{demo.alice_errand.pk}").status_code == 403


def test_a_namesake_of_a_staff_member_is_not_made_staff(demo: Demo, api_as: Any) -> None:
    """A customer account named "Kenji" made an assistant would read errands as a second
    "Kenji", which the customer cannot tell apart (Who saw my data shows names only)."""
    puppet = sign_up_puppet()
    do_update_profile(actor=puppet, changes={"name": "kenji"})  # a customer may
    grant = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "assistant"}).json()
    refused = api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve")
    assert refused.status_code == 409, refused.content
    puppet.refresh_from_db()
    assert puppet.role == "customer"
    # Renamed, the same request goes through.
    User.objects.filter(pk=puppet.pk).update(name="Kenji's colleague")
    approved = api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve")
    assert approved.status_code == 200


@pytest.mark.parametrize("how", ["demoted", "deactivated"])
def test_a_request_from_an_admin_who_is_no_longer_one_cannot_be_approved(
    how: str, demo: Demo, api_as: Any
) -> None:
    """Four eyes means two admins: an admin demoted or deactivated after asking (perhaps
    for asking) is one pair of eyes fewer, and the request stays as it was until it
    expires or is withdrawn."""
    from hisho.accounts.actions import do_set_active, do_set_role

    puppet = sign_up_puppet()
    grant = api_as("admin").put(f"/people/{puppet.pk}/role", {"role": "assistant"}).json()
    asker = demo.people["admin"]
    if how == "demoted":
        do_set_role(actor=demo.people["admin2"], user=asker, role="customer")
    else:
        do_set_active(actor=demo.people["admin2"], user=asker, active=False)
    refused = api_as("admin2").post(f"/people/role-grants/{grant['id']}/approve")
    assert refused.status_code == 409, refused.content
    assert "no longer an admin" in refused.json()["detail"]
    puppet.refresh_from_db()
    assert puppet.role == "customer"
    assert RoleGrant.objects.get(pk=grant["id"]).status == "pending"
