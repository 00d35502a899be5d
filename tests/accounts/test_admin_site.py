"""Django's admin site changes nothing except through actions: deactivating an account
ends its sessions and is audited; nothing can be deleted or added there."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from hisho.accounts.models import User
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from tests.conftest import sign_in
from tests.openapi import ApiClient


@pytest.fixture
def root(db: None, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root-of-all-powers-1")
    call_command("createsuperuser", email="root@example.com", interactive=False, verbosity=0)
    client = Client()
    client.force_login(User.objects.get(email="root@example.com"))
    return client


def test_deactivating_in_the_admin_site_ends_sessions_and_is_audited(
    demo: Demo, root: Client
) -> None:
    bob = demo.people["bob"]
    token = sign_in("bob")
    assert ApiClient(token).get("/me").status_code == 200
    page = f"/django-admin/accounts/user/{bob.pk}/change/"
    response = root.post(page, {"is_active": ""})  # the box unticked
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active
    assert ApiClient(token).get("/me").status_code == 401
    event = AuditEvent.objects.get(event="account.deactivated", target_id=str(bob.pk))
    assert event.extra["sessions_ended"] >= 1
    # Reactivated, bob signs in again; the old token stays dead.
    root.post(page, {"is_active": "on"})
    assert ApiClient(token).get("/me").status_code == 401
    assert AuditEvent.objects.filter(event="account.reactivated").exists()


def test_the_admin_site_deletes_and_adds_nothing(demo: Demo, root: Client) -> None:
    bob = demo.people["bob"]
    assert root.get(f"/django-admin/accounts/user/{bob.pk}/delete/").status_code == 403
    assert (
        root.post(f"/django-admin/accounts/user/{bob.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert User.objects.filter(pk=bob.pk).exists()
    assert root.get("/django-admin/accounts/user/add/").status_code == 403
