"""The peer's bench data: a staff user with a DRF token, one queue, 32 open tickets.

    PEER_DATABASE=… .venv-peer/bin/python bench/peer/setup_data.py OUT.json

Writes {"token": …, "tickets": [ids]} to OUT.json.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")


def main() -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from helpdesk.models import Queue, Ticket
    from rest_framework.authtoken.models import Token

    staff = get_user_model().objects.create_user(
        "kenji", "kenji@example.com", "bench-only-password", is_staff=True
    )
    queue = Queue.objects.create(title="Errands", slug="errands")
    tickets = [
        Ticket.objects.create(
            title=f"Errand {n}",
            queue=queue,
            submitter_email="alice@example.com",
            assigned_to=staff,
            description="Book a table for Friday.",
        ).pk
        for n in range(32)
    ]
    token = Token.objects.create(user=staff).key
    with open(sys.argv[1], "w") as out:
        json.dump({"token": token, "tickets": tickets}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
