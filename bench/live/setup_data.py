"""Make the bench's data in the scaled shape's database, through the real actions.

    python -m bench.live.setup_data OUT.json [--idle-people 100]

Run by bench/live_bench.py with the shape's environment, after `hisho demo`. Writes the
ids and app tokens the load generator needs to OUT.json (a temporary file):

- 32 errands of alice's, assigned to kenji, to post messages into;
- one of alice's errands with 100 messages (alternately hers and kenji's), to read;
- `--idle-people` customers with one errand each, for the idle websocket connections.

The tokens are allauth app sessions made directly (django.contrib.auth.login on a
session), because a hundred sign-ins through the API would meet its sign-in throttle;
kenji's session records his second factor the way allauth does after a TOTP step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

KB_MESSAGE = ("Could you call the restaurant again and ask about the step-free entrance? " * 14)[
    :1024
]
CHAT_LINES = [
    "Hello! I'm on it and will call two places this afternoon.",
    "Thank you. Friday at 19:00 if possible, four people, one wheelchair user.",
    "The first place is full on Friday; the second can seat you at 19:30 near the entrance.",
    "19:30 is fine. Could you ask whether they take cards?",
]


def app_token(user: Any, *, second_factor: bool = False) -> str:
    from allauth.account.internal.flows.login import record_authentication
    from allauth.headless.internal.sessionkit import session_store
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import login
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = session_store()
    request.user = user
    login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
    record_authentication(request, user, "password", email=user.email)
    if second_factor:
        totp = Authenticator.objects.get(user_id=user.pk, type="totp")
        record_authentication(request, user, "mfa", id=totp.pk, type="totp")
    request.session.save()
    return str(request.session.session_key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--idle-people", type=int, default=100)
    parser.add_argument("--post-errands", type=int, default=32)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.live.settings")
    # Assigning the bench's errands e-mails alice each time; kept in memory, not printed
    # over the bench's report (the embedded default prints mail to the console).
    os.environ["HISHO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from hisho.accounts.actions import do_create_user
    from hisho.demo import load_demo
    from hisho.desk.actions import do_assign_errand, do_create_errand, do_post_message

    demo = load_demo()
    alice, kenji, admin = demo.people["alice"], demo.people["kenji"], demo.people["admin"]

    def assigned_errand(title: str) -> Any:
        errand = do_create_errand(actor=alice, title=title, details="Bench errand.")
        return do_assign_errand(actor=admin, errand=errand, assistant_id=kenji.pk)

    post_errands = [assigned_errand(f"Bench errand {n}") for n in range(args.post_errands)]
    read_errand = assigned_errand("Bench errand with a long chat")
    for n in range(100):
        author = alice if n % 2 else kenji
        do_post_message(actor=author, errand=read_errand, body=CHAT_LINES[n % len(CHAT_LINES)])
    idle = []
    for n in range(args.idle_people):
        person = do_create_user(email=f"idle{n}@bench.invalid", password=None, name=f"Idle {n}")
        errand = do_create_errand(actor=person, title=f"Idle errand {n}")
        idle.append({"token": app_token(person), "errand": str(errand.pk)})
    data = {
        "alice": app_token(alice),
        "kenji": app_token(kenji, second_factor=True),
        "post_errands": [str(e.pk) for e in post_errands],
        "read_errand": str(read_errand.pk),
        "idle": idle,
        "message": KB_MESSAGE,
    }
    Path(args.out).write_text(json.dumps(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
