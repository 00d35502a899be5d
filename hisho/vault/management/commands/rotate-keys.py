"""`hisho rotate-keys`: rotate the master key and the customer keys without downtime.

Prints ids and counts only, never key material or content.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hisho.vault.actions import do_retire_master_keys, do_rotate_keys


class Command(BaseCommand):
    help = (
        "Add a new active master key and rewrap every customer key under it; by default also "
        "replace each customer key by a new version and rewrap the customer's data keys under "
        "it. Content ciphertext is not touched. Then, once every process has seen the new "
        "keyring, run with --retire to remove the old master keys (docs/operations.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--master-only",
            action="store_true",
            help="Rewrap customer keys under the new master key, keeping the customer keys.",
        )
        parser.add_argument(
            "--retire",
            action="store_true",
            help="Do not rotate: rewrap anything still under an old master key, then remove "
            "every master key but the active one from the keyring.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        say = self.stdout.write if options["verbosity"] > 0 else (lambda _text: None)
        if options["retire"]:
            retired = do_retire_master_keys()
            if retired:
                say(f"Retired master keys: {', '.join(retired)}.")
            else:
                say("No old master keys to retire.")
            return
        report = do_rotate_keys(new_customer_keys=not options["master_only"])
        say(
            f"New active master key {report.master_key_id}: rewrapped {report.customer_keys} "
            f"customer keys and {report.data_keys} data keys. Retire the old master key with "
            "`hisho rotate-keys --retire` once every running process has picked up the new "
            "keyring (a few seconds)."
        )
