"""`hisho verify-export FILE`: does FILE carry a valid signature of this Hisho service?

Checks an export (`GET /api/v1/me/export`), an erasure receipt, a payment receipt
(`GET /api/v1/payment-requests/{id}/receipt`) or a partner's release (its `signed`
document, `POST /api/v1/partner/reports/{name}/releases`) against the public keys this service
publishes at /.well-known/hisho-signing-keys.json — or, with `--keys`, a saved copy of
that document, so anyone can check without access to the database.
Exit status 0: valid; 1: not valid (the reason is printed); 2: unreadable input.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hisho.cli_files import read_document
from hisho.privacy.signatures import BadSignature, verify

KNOWN_TYPES = {
    "hisho.export": "export",
    "hisho.erasure_receipt": "erasure receipt",
    "hisho.payment_receipt": "payment receipt",
    # A partner checks the counts it was given are the ones Hisho released (docs/partners.md).
    "hisho.partner-release": "partner release",
}


# An export holds a person's whole history; far beyond any real one, and bounded.
DOCUMENT_MAX_BYTES = 256 * 1024 * 1024


def _read_json(path: str) -> Any:
    try:
        return json.loads(read_document(path, DOCUMENT_MAX_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CommandError(
            f"{path}: not a readable JSON file ({type(exc).__name__})", returncode=2
        ) from None


class Command(BaseCommand):
    help = "Verify the signature of a Hisho export, erasure or payment receipt, or release."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the signed JSON document")
        parser.add_argument(
            "--keys",
            help="a saved /.well-known/hisho-signing-keys.json (default: this service's keys)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        document = _read_json(options["file"])
        keys = _read_json(options["keys"]) if options["keys"] else None
        if options["keys"] and not (isinstance(keys, dict) and isinstance(keys.get("keys"), list)):
            # Not a key set (`null` among them, which fell back to this service's keys).
            raise CommandError(
                f'{options["keys"]}: not a JSON Web Key Set ({{"keys": [...]}})', returncode=2
            )
        try:
            payload = verify(document, keys)
        except BadSignature as exc:
            raise CommandError(f"NOT VALID: {exc.reason}", returncode=1) from None
        kind = KNOWN_TYPES.get(str(payload.get("type")))
        if kind is None:
            raise CommandError(
                "NOT VALID: signed, but not an export, a receipt or a release", returncode=1
            )
        key_id = document["signature"]["key_id"]
        self.stdout.write(f"VALID: a Hisho {kind}, signed with key {key_id}.")
