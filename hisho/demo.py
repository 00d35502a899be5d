"""The demo people and errands of API.md, built through the real actions.

Shared by `hisho demo` and the test suite's fixtures, so tests run against exactly
what a person trying Hisho sees. Safe to run again: existing pieces are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from hisho.accounts.actions import do_create_user, do_enrol_totp
from hisho.accounts.models import Role, User
from hisho.accounts.principal import STAFF_ROLES
from hisho.desk.actions import do_assign_errand, do_create_errand, do_post_message
from hisho.desk.models import Errand

DEMO_PASSWORD = "hisho-demo-2026"  # noqa: S105 - published in API.md; demo refused in production
# Every demo assistant and admin has TOTP with this base32 secret (API.md, "Demo data").
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 - published in API.md

PEOPLE: dict[str, tuple[Role, str]] = {
    "alice": (Role.CUSTOMER, "Alice"),
    "bob": (Role.CUSTOMER, "Bob"),
    "kenji": (Role.ASSISTANT, "Kenji"),
    "yuki": (Role.ASSISTANT, "Yuki"),
    "admin": (Role.ADMIN, "Admin"),
    "admin2": (Role.ADMIN, "Admin Two"),
    "partner": (Role.PARTNER, "Partner"),
}

ALICE_FIRST_TITLE = "Book a table for 4 in Shibuya on Friday"


@dataclass
class Demo:
    people: dict[str, User]
    alice_errand: Errand
    alice_new_errand: Errand
    bob_errand: Errand


def email_of(handle: str) -> str:
    return f"{handle}@example.com"


@transaction.atomic
def load_demo(*, password: str = DEMO_PASSWORD) -> Demo:
    people: dict[str, User] = {}
    for handle, (role, name) in PEOPLE.items():
        user = User.objects.filter(email=email_of(handle)).first()
        if user is None:
            user = do_create_user(
                email=email_of(handle), password=password, role=role, name=name, verified=True
            )
        if role in STAFF_ROLES:
            # Staff see errands only with a second factor (hisho/accounts/mfa.py).
            do_enrol_totp(actor=None, user=user, secret=DEMO_TOTP_SECRET)
        people[handle] = user
    alice, bob, admin = people["alice"], people["bob"], people["admin"]

    alice_errands = list(Errand.objects.filter(customer=alice).order_by("created_at"))
    if not alice_errands:
        first = do_create_errand(
            actor=alice,
            title=ALICE_FIRST_TITLE,
            details="Somewhere with vegetarian options, around 19:00, not too loud.",
            phone="090-1234-5678",
            address="1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001",
            note="One of us uses a wheelchair.",
            category="dining",
            triage_note="Dinner for four on Friday; step-free access needed.",
        )
        first = do_assign_errand(actor=admin, errand=first, assistant_id=people["kenji"].pk)
        do_post_message(actor=alice, errand=first, body="Thank you! Friday at 19:00 if possible.")
        do_post_message(
            actor=people["kenji"],
            errand=first,
            body="Hello Alice, I'm on it. I'll call two places this afternoon.",
        )
        second = do_create_errand(
            actor=alice,
            title="Call my landlord about the broken heater",
            details="The heater in the bedroom stopped working on Monday.",
            category="housing",
            triage_note="A call in Japanese to a landlord about a repair.",
        )
        alice_errands = [first, second]

    bob_errands = list(Errand.objects.filter(customer=bob).order_by("created_at"))
    if not bob_errands:
        errand = do_create_errand(
            actor=bob,
            title="Find an English-speaking dentist near Umeda",
            details="A filling came out; weekday evenings work best.",
            category="health",
        )
        bob_errands = [do_assign_errand(actor=admin, errand=errand, assistant_id=people["yuki"].pk)]

    return Demo(
        people=people,
        alice_errand=alice_errands[0],
        alice_new_errand=alice_errands[1],
        bob_errand=bob_errands[0],
    )
