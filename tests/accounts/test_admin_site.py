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


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("accounts/user", "id__in=99999999999999999999"),
        ("accounts/user", "pk__in=99999999999999999999"),
        ("accounts/user", "date_joined__gte=0001-01-01"),
        ("accounts/user", "date_joined__year=99999999999999999999"),
        ("accounts/user", "last_login__year=99999"),
        ("accounts/user", "id__range=1"),
        ("accounts/user", "email__regex=("),
        ("desk/errand", "assignee__id__in=99999999999999999999"),
        ("desk/errand", "created_at__gte=0001-01-01"),
    ],
)
def test_the_admin_site_filters_only_by_its_side_panel(
    demo: Demo, root: Client, page: str, query: str
) -> None:
    """Any other lookup in the query string is refused (400), not tried (a 500)."""
    assert root.get(f"/django-admin/{page}/?{query}").status_code == 400


def test_the_side_panel_filters_and_the_search_still_work(demo: Demo, root: Client) -> None:
    assert root.get("/django-admin/accounts/user/?role__exact=admin").status_code == 200
    assert root.get("/django-admin/accounts/user/?is_active__exact=1&q=alice").status_code == 200
    assert root.get("/django-admin/desk/errand/?status__exact=new").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "account/emailaddress/",  # mark a new address verified on someone's account
        "mfa/authenticator/",  # delete their second factor
        "socialaccount/socialaccount/",  # link one's own Google account to theirs
        "socialaccount/socialapp/",
        "socialaccount/socialtoken/",
        "usersessions/usersession/",  # every customer's IP address and browser
        "django_tasks_database/dbtaskresult/",
        "auth/group/",
    ],
)
def test_the_admin_site_has_no_library_model_admins(demo: Demo, root: Client, path: str) -> None:
    """With them one superuser took over an assistant's account from the web alone (new
    verified e-mail address, second factor deleted, password reset) and read, as the
    assistant, a customer's sealed phone, address and note (found by attacking as an
    insider)."""
    kenji = demo.people["kenji"]
    assert root.get(f"/django-admin/{path}").status_code == 404
    assert root.get(f"/django-admin/{path}1/change/").status_code == 404
    assert f'href="/django-admin/{path}"' not in root.get("/django-admin/").content.decode()
    assert root.get(f"/django-admin/accounts/user/{kenji.pk}/change/").status_code == 200


def test_only_hisho_model_admins_are_registered() -> None:
    from django.apps import apps
    from django.contrib import admin

    registered = {
        m._meta.label
        for m in apps.get_models(include_auto_created=True)
        if admin.site.is_registered(m)
    }
    assert registered == {"accounts.User", "desk.Errand"}
