"""`hisho audit-verify-proof FILE`: check, offline, an inclusion-proof bundle downloaded
from "Who saw my data" (`GET /api/v1/me/access-log/{leaf_index}/proof`): the entry is
the leaf, the leaf is in the tree, and the tree's head is signed. Needs no database.

Exit 0 (OK) when it verifies with a key given by `--key`; 1 (FAILED) when it is no bundle
or does not verify; 2 (UNVERIFIED SIGNER) when, without `--key`, it verifies only with the
key inside the file — which anyone can make, with a key of their own: the key is printed
to be compared with the site's published key or a witness's."""

from __future__ import annotations

import base64
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hisho.audit.note import NoteError, parse_vkey
from hisho.audit.proofs import BundleError, load_bundle, verify_bundle
from hisho.cli_files import NotADocument, read_document

# A bundle is one entry, its proof and a checkpoint: a few kilobytes.
BUNDLE_MAX_BYTES = 16 * 1024 * 1024

FAILED = 1
UNVERIFIED_SIGNER = 2


def shown(value: Any) -> str:
    """A value from the file, safe to print: the file may come from anyone, and a newline
    or a terminal escape in it could fake a line of this command's output."""
    text = str(value)
    return text if text.isprintable() and len(text) <= 100 else ascii(text)[:100]


class Command(BaseCommand):
    help = "Verify an audit inclusion-proof bundle offline."
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's own attribute

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--key",
            action="append",
            default=[],
            help="the log's verifier key as you know it (without it the signer is not checked)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            trusted = [parse_vkey(k) for k in options["key"]]
            data = read_document(options["file"], BUNDLE_MAX_BYTES)
            verified = verify_bundle(load_bundle(data), trusted)
        except OSError as exc:
            raise CommandError(
                f"FAILED: cannot read {options['file']} ({exc.strerror or exc})", returncode=FAILED
            ) from None
        except NotADocument as exc:
            raise CommandError(
                f"FAILED: cannot read {options['file']} ({exc})", returncode=FAILED
            ) from None
        except NoteError as exc:
            # The JWK's "x", which the site publishes and the UNVERIFIED SIGNER answer
            # prints for comparing, is what a person reaches for: say what --key takes.
            raise CommandError(
                f"FAILED: --key: {exc}; give the verifier key as this command prints it "
                "(NAME+8 hex digits+base64, e.g. hisho.example/audit+1a2b3c4d+AcI…), "
                'not the "x" of /.well-known/hisho-signing-keys.json',
                returncode=FAILED,
            ) from None
        except BundleError as exc:
            raise CommandError(f"FAILED: {exc}", returncode=FAILED) from None
        facts = (
            f"entry {shown(verified.entry.get('event'))} at {shown(verified.entry.get('at'))} "
            f"is leaf {verified.leaf_index} of the {verified.tree_size}-entry tree signed by "
            f"{shown(verified.origin)}"
        )
        if verified.bundle_key is None:
            self.stdout.write(f"OK: {facts}.")
            return
        key = verified.bundle_key
        x = base64.urlsafe_b64encode(key.public_key).rstrip(b"=").decode()
        self.stdout.write(
            f"Consistent, signer not checked: {facts}, with the key in the file:\n"
            f"  verifier key: {key.vkey}\n"
            f'  in /.well-known/hisho-signing-keys.json it would be "x": "{x}"'
        )
        raise CommandError(
            "UNVERIFIED SIGNER: the proof and the signature agree, but the key is the file's "
            "own and anyone can make such a file; compare it with the site's published key "
            "or a witness's, then run again with --key <verifier key>.",
            returncode=UNVERIFIED_SIGNER,
        )
