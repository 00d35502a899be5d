"""Web Push that carries no content (issue 17): subscriptions, the VAPID key beside the
keyring, and pushes checked and decrypted by a push service stand-in on loopback."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from hisho.accounts.models import User
from hisho.audit.models import AuditEvent
from hisho.demo import Demo
from hisho.desk.actions import do_post_message
from hisho.privacy.actions import do_export_my_data
from hisho.privacy.actions.erasure import do_erase_account
from hisho.privacy.models import Disclosure
from hisho.push.models import PushSubscription
from hisho.push.send import deliver, vapid_subject
from hisho.push.tasks import push_event
from hisho.push.vapid import public_key
from tests.principals import P
from tests.push.service import Browser, PushService, b64url, check_claims

CARD = "4111111111111111"


@pytest.fixture
def service(settings: Any, tmp_path: Any) -> Iterator[PushService]:
    settings.HISHO_VAPID_KEY_FILE = tmp_path / "keys" / "vapid.pem"
    with PushService() as running:
        settings.HISHO_PUSH_SERVICES = [running.origin]
        yield running


def subscribe(api: Any, endpoint: str, browser: Browser) -> Any:
    return api.post("/me/push-subscriptions", {"endpoint": endpoint, "keys": browser.keys})


def test_the_vapid_key_is_made_on_first_use_beside_the_keyring_0600(
    service: PushService, settings: Any, api_as: Any
) -> None:
    path = settings.HISHO_VAPID_KEY_FILE
    assert not path.exists()
    key = api_as("anonymous").get("/push/vapid-public-key").json()["key"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key == public_key() and len(key) == 87  # 65 bytes, base64url
    assert api_as("alice").get("/push/vapid-public-key").json()["key"] == key
    # Never in the database in the clear.
    assert not PushSubscription.objects.exists()


def test_subscribe_and_unsubscribe(service: PushService, api_as: Any, demo: Demo) -> None:
    browser = Browser()
    response = subscribe(api_as("alice"), service.endpoint("a"), browser)
    assert response.status_code == 201, response.content
    subscription_id = response.json()["id"]
    # Again (the browser renews): the same subscription.
    assert subscribe(api_as("alice"), service.endpoint("a"), browser).json()["id"] == (
        subscription_id
    )
    assert PushSubscription.objects.filter(user=demo.people["alice"]).count() == 1
    # Someone else's is not there for anyone else.
    assert api_as("bob").delete(f"/me/push-subscriptions/{subscription_id}").status_code == 404
    assert api_as("alice").delete("/me/push-subscriptions/not-an-id").status_code == 404
    assert api_as("alice").delete(f"/me/push-subscriptions/{subscription_id}").status_code == 204
    assert not PushSubscription.objects.exists()
    assert api_as("alice").delete(f"/me/push-subscriptions/{subscription_id}").status_code == 404
    assert api_as("anonymous").post("/me/push-subscriptions", {}).status_code == 401


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:5432/not-a-push-service",  # another port of this host
        "https://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "https://user:pw@fcm.googleapis.com/x",
        "not a url",
        "",
    ],
)
def test_an_endpoint_outside_the_push_services_is_refused(
    service: PushService, api_as: Any, endpoint: str
) -> None:
    response = subscribe(api_as("alice"), endpoint, Browser())
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")


def test_bad_keys_are_refused(service: PushService, api_as: Any) -> None:
    good = Browser().keys
    for keys in (
        {**good, "p256dh": "AAAA"},
        {**good, "p256dh": b64url(b"\x04" + b"\x01" * 64)},  # not on the curve
        {**good, "auth": "%%%"},
        {**good, "auth": good["p256dh"][:20]},  # 15 bytes
        {"p256dh": good["p256dh"]},
        {**good, "extra": "x"},
    ):
        response = api_as("alice").post(
            "/me/push-subscriptions", {"endpoint": service.endpoint("k"), "keys": keys}
        )
        assert response.status_code == 422, (keys, response.content)
    assert not PushSubscription.objects.exists()


def test_an_endpoint_carrying_a_card_is_refused(service: PushService, api_as: Any) -> None:
    for endpoint in (
        service.endpoint(CARD),
        service.endpoint("4111%201111%201111%201111"),
        service.endpoint("x?c=4111-1111-1111-1111"),
    ):
        response = subscribe(api_as("alice"), endpoint, Browser())
        assert response.status_code == 422, response.content
    assert not PushSubscription.objects.exists()


def test_a_push_holds_only_the_event_type_and_the_errand_id(
    service: PushService, api_as: Any, demo: Demo, django_capture_on_commit_callbacks: Any
) -> None:
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    errand = demo.alice_errand
    browsers = {"alice": Browser(), "kenji": Browser(), "bob": Browser()}
    for handle, browser in browsers.items():
        assert subscribe(api_as(handle), service.endpoint(handle), browser).status_code == 201

    body = "Hello Alice, the restaurant Sushi Saito has a table; call 090-1234-5678."
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(actor=kenji, errand=errand, body=body)
    # The live event queued one push job, with ids only.
    (job,) = DBTaskResult.objects.filter(task_path=push_event.module_path)
    assert job.args_kwargs["args"] == [sorted([alice.pk, kenji.pk]), "message", str(errand.pk)]
    push_event.call(*job.args_kwargs["args"])

    assert service.errors == []
    by_path = {r.path: r for r in service.received}
    assert set(by_path) == {"/push/alice", "/push/kenji"}  # participants only
    for handle in ("alice", "kenji"):
        received = by_path[f"/push/{handle}"]
        check_claims(service, received, vapid_subject())
        assert received.server_key == public_key()
        plaintext = service.decrypt(received, browsers[handle])
        assert json.loads(plaintext) == {"type": "message", "errand": str(errand.pk)}
        # Nothing of the message, the errand or the people, even encrypted. (The whole
        # phone number: "090" alone turns up in one errand id in a few hundred.)
        for secret in ("Sushi", "090-1234-5678", "Alice", "Kenji", alice.email, "restaurant"):
            assert secret.encode() not in plaintext and secret.encode() not in received.body
        assert int(received.headers["ttl"]) >= 0
    # Each push is a disclosure to the declared processor, of the subscription only.
    disclosures = Disclosure.objects.filter(recipient="push_service")
    assert {d.subject_id for d in disclosures} == {alice.pk, kenji.pk}
    assert all(d.data == ["push_subscriptions"] for d in disclosures)


def test_a_subscription_the_push_service_calls_gone_is_deleted(
    service: PushService, api_as: Any, demo: Demo
) -> None:
    kept, gone = Browser(), Browser()
    subscribe(api_as("alice"), service.endpoint("kept"), kept)
    subscribe(api_as("alice"), service.endpoint("gone"), gone)
    service.gone.add("/push/gone")
    counts = deliver([demo.people["alice"].pk], "status", demo.alice_errand.pk)
    assert counts == {"sent": 1, "gone": 1, "failed": 0}
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        service.endpoint("kept")
    ]
    assert AuditEvent.objects.filter(event="push.subscription_gone").exists()


def test_a_push_service_that_is_down_costs_nothing(
    service: PushService, api_as: Any, demo: Demo, settings: Any
) -> None:
    subscribe(api_as("alice"), service.endpoint("a"), Browser())
    service.server.shutdown()
    service.server.server_close()
    counts = deliver([demo.people["alice"].pk], "status", demo.alice_errand.pk)
    assert counts == {"sent": 0, "gone": 0, "failed": 1}
    assert PushSubscription.objects.count() == 1
    assert not Disclosure.objects.filter(recipient="push_service").exists()


def test_subscriptions_are_exported_and_erased(
    service: PushService, api_as: Any, demo: Demo
) -> None:
    browser = Browser()
    subscription_id = subscribe(api_as("bob"), service.endpoint("b"), browser).json()["id"]
    bob: User = demo.people["bob"]
    exported = do_export_my_data(principal=P(bob))
    payload = exported.get("payload", exported)
    assert payload["push_subscriptions"] == [
        {
            "id": subscription_id,
            "endpoint": service.endpoint("b"),
            "keys": browser.keys,
            "created_at": payload["push_subscriptions"][0]["created_at"],
        }
    ]
    receipt = do_erase_account(actor=bob)
    assert receipt["payload"]["erased"]["push_subscriptions"] == 1
    assert not PushSubscription.objects.exists()


def test_a_person_who_turned_push_off_gets_none(
    service: PushService, api_as: Any, demo: Demo
) -> None:
    """The preference of GET/PUT /api/v1/me/notifications is what decides."""
    browser = Browser()
    subscribe(api_as("alice"), service.endpoint("alice"), browser)
    alice = demo.people["alice"].pk
    assert (
        api_as("alice").put("/me/notifications", {"email": True, "push": False}).status_code == 200
    )
    assert deliver([alice], "status", demo.alice_errand.pk) == {"sent": 0, "gone": 0, "failed": 0}
    assert service.received == []
    api_as("alice").put("/me/notifications", {"email": True, "push": True})
    assert deliver([alice], "status", demo.alice_errand.pk)["sent"] == 1


def test_no_push_to_someone_who_no_longer_takes_part(
    service: PushService, api_as: Any, demo: Demo
) -> None:
    """Kenji, demoted to customer, hears nothing more of alice's errand: his open errands
    went back to the queue, his sign-ins ended and his devices' subscriptions with them,
    and the job checks who takes part when it runs (the e-mail job checks the same:
    tests/notify/test_notifications.py)."""
    from hisho.accounts.actions import do_set_role

    subscribe(api_as("alice"), service.endpoint("alice"), Browser())
    subscribe(api_as("kenji"), service.endpoint("kenji"), Browser())
    alice, kenji = demo.people["alice"], demo.people["kenji"]
    do_set_role(actor=demo.people["admin"], user=kenji, role="customer")
    counts = deliver([alice.pk, kenji.pk], "message", demo.alice_errand.pk)
    assert counts == {"sent": 1, "gone": 0, "failed": 0}
    assert [r.path for r in service.received] == ["/push/alice"]


@pytest.mark.parametrize("how", ["signed out there", "signed out everywhere", "password changed"])
def test_a_device_hears_nothing_more_once_its_sign_in_has_ended(
    how: str, service: PushService, api_as: Any, demo: Demo
) -> None:
    """Pushes follow the sign-in that turned them on: a phone signed out — there, from
    another device's "sign out everywhere" (a lost phone), or by a password change —
    gets no more "one of your errands has news", and its subscription is dropped. A
    device still signed in keeps hearing."""
    from django.test import Client

    from hisho.accounts.actions import end_all_sessions
    from tests.conftest import sign_in

    alice = demo.people["alice"]
    phone_token = sign_in("alice")
    phone = api_as("alice").__class__(phone_token)
    subscribe(phone, service.endpoint("phone"), Browser())
    laptop = api_as("alice")
    subscribe(laptop, service.endpoint("laptop"), Browser())
    assert deliver([alice.pk], "message", demo.alice_errand.pk)["sent"] == 2

    if how == "signed out there":
        Client().delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=phone_token)
        expected = {"sent": 1, "gone": 1, "failed": 0}
    elif how == "signed out everywhere":
        end_all_sessions(alice)
        expected = {"sent": 0, "gone": 0, "failed": 0}  # the sign-ins' rows went, and theirs
    else:
        alice.set_password("a-new-password-2026")
        alice.save()
        expected = {"sent": 0, "gone": 2, "failed": 0}
    service.received.clear()
    assert deliver([alice.pk], "message", demo.alice_errand.pk) == expected
    left = {r.path for r in service.received}
    assert "/push/phone" not in left
    assert not PushSubscription.objects.filter(endpoint=service.endpoint("phone")).exists()
    if how == "signed out there":
        assert left == {"/push/laptop"}
    gone = AuditEvent.objects.filter(event="push.subscription_gone", extra={"sign_in_ended": True})
    assert gone.count() == expected["gone"]


def test_a_subscription_from_before_sign_ins_were_recorded_is_never_pushed_to(
    service: PushService, api_as: Any, demo: Demo
) -> None:
    """Rows made before subscriptions followed a sign-in have none: they are dropped at
    the next push instead of reaching a device nobody may be signed in on."""
    subscribe(api_as("alice"), service.endpoint("old"), Browser())
    PushSubscription.objects.update(device=None)
    counts = deliver([demo.people["alice"].pk], "message", demo.alice_errand.pk)
    assert counts == {"sent": 0, "gone": 1, "failed": 0}
    assert service.received == [] and not PushSubscription.objects.exists()
