"""The restore drill's two halves, each run as a process of its own against a database of
its own (tests/backups/test_drill.py): `python -m tests.backups.drill source OUT` and
`python -m tests.backups.drill verify FACTS`.

source: migrate, load the demo, take a backup, then write after it (new errands and
messages for alice and bob, a message from kenji in alice's errand) and erase alice.
Writes the facts the verifier needs as JSON: ids, bob's texts, and the key ids and
ciphertexts alice's data had in the backup.

verify (on the restored database): prints a JSON report of what holds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hisho.settings")
    import django

    django.setup()


def source(out: Path, backup: Path) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from hisho.backups.service import take_backup
    from hisho.demo import load_demo
    from hisho.desk.actions import do_create_errand, do_post_message
    from hisho.desk.content import read_content, read_messages
    from hisho.desk.models import Errand, Message
    from hisho.privacy.actions.erasure import do_erase_account
    from hisho.vault import crypto
    from tests.principals import P

    demo = load_demo()
    alice, bob, kenji = (demo.people[h] for h in ("alice", "bob", "kenji"))
    alice_id = alice.pk  # the erasure forgets it on the instance
    do_post_message(actor=bob, errand=demo.bob_errand, body="Before the backup: bob's line")
    bob_title = read_content(P(bob), demo.bob_errand).title
    bob_messages = [m.body for m in read_messages(P(bob), demo.bob_errand)]
    alice_tokens = []
    for errand in Errand.objects.filter(customer=alice):
        values = [errand.sealed_title, errand.sealed_details, errand.sealed_phone]
        values += list(Message.objects.filter(errand=errand).values_list("sealed_body", flat=True))
        for token in values:
            if token is not None:
                key_id = crypto.key_id_of(bytes(token)).hex()
                alice_tokens.append({"errand": str(errand.pk), "key_id": key_id})
    result = take_backup(backup)

    after_alice = do_create_errand(actor=alice, title="After the backup: alice's new errand")
    do_post_message(actor=alice, errand=after_alice, body="After the backup: alice writes")
    do_post_message(actor=kenji, errand=demo.alice_errand, body="After the backup: kenji")
    after_bob = do_create_errand(actor=bob, title="After the backup: bob's new errand")
    do_post_message(actor=bob, errand=demo.bob_errand, body="After the backup: bob again")
    do_erase_account(actor=alice)

    facts = {
        "backup": str(result.path),
        "alice_id": alice_id,
        "alice_errands": [str(demo.alice_errand.pk), str(demo.alice_new_errand.pk)],
        "alice_after": str(after_alice.pk),
        "alice_tokens": alice_tokens,
        "bob_errand": str(demo.bob_errand.pk),
        "bob_title": bob_title,
        "bob_messages": bob_messages,
        "bob_after": str(after_bob.pk),
        "tree_size": result.manifest["audit"]["tree_size"],
    }
    out.write_text(json.dumps(facts))


def verify(facts: dict[str, Any]) -> dict[str, Any]:
    import uuid

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from hisho.accounts.models import User
    from hisho.audit.verify import verify_log
    from hisho.backups.checks import ledger_problems
    from hisho.backups.models import AppliedErasure
    from hisho.demo import email_of
    from hisho.desk.content import read_content, read_messages
    from hisho.desk.models import Errand
    from hisho.vault.errors import KeyUnavailable
    from hisho.vault.keys import store
    from hisho.vault.models import CustomerKey, DataKey
    from tests.principals import P

    report: dict[str, Any] = {}
    report["alice_exists"] = User.objects.filter(email=email_of("alice")).exists()
    report["alice_errands_left"] = Errand.objects.filter(pk__in=facts["alice_errands"]).count()
    report["alice_after_exists"] = Errand.objects.filter(pk=facts["alice_after"]).exists()
    opened = 0
    for token in facts["alice_tokens"]:
        store().cache.clear()
        try:
            store().data_key_for_opening(
                uuid.UUID(token["key_id"]), facts["alice_id"], "errand", token["errand"]
            )
            opened += 1
        except KeyUnavailable:
            pass
    report["alice_keys_opened"] = opened
    report["alice_key_rows"] = (
        CustomerKey.objects.filter(customer_id=facts["alice_id"], wrapped__isnull=False).count()
        + DataKey.objects.filter(customer_id=facts["alice_id"]).count()
    )

    bob = User.objects.get(email=email_of("bob"))
    errand = Errand.objects.get(pk=facts["bob_errand"])
    report["bob_title"] = read_content(P(bob), errand).title
    report["bob_messages"] = [m.body for m in read_messages(P(bob), errand)]
    report["bob_after_exists"] = Errand.objects.filter(pk=facts["bob_after"]).exists()

    log = verify_log()
    report["audit_ok"] = log.ok
    report["ledger_problems"] = [p.id for p in ledger_problems()]
    report["reapplied"] = list(
        AppliedErasure.objects.filter(reapplied=True).values_list("seq", flat=True)
    )
    call_command("check")  # raises SystemCheckError if anything stops start-up

    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(bob)
    page = client.get("/errands/")
    report["page_status"] = page.status_code
    report["page_shows_bob_title"] = facts["bob_title"] in page.content.decode()
    report["checkpoint_status"] = Client().get("/api/v1/audit/checkpoint").status_code
    return report


def main(argv: list[str]) -> int:
    setup()
    if argv[0] == "source":
        source(Path(argv[1]), Path(argv[2]))
    elif argv[0] == "verify":
        print(json.dumps(verify(json.loads(Path(argv[1]).read_text()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
