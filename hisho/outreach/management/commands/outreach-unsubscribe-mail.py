"""`hisho outreach-unsubscribe-mail`: act on one unsubscribe e-mail, read from standard input.

Every newsletter and survey copy names two ways out in `List-Unsubscribe` (RFC 2369): the
https one-click link (RFC 8058) and `mailto:HISHO_UNSUBSCRIBE_EMAIL?subject=unsubscribe
TOKEN`, which is what a mail program's "Unsubscribe" button sends when it does not do
one-click. The mail server hands each message to that mailbox to this command, e.g. with a
Postfix or Exim alias::

    unsubscribe: "|/srv/hisho/.venv/bin/hisho outreach-unsubscribe-mail"

The signed token in the subject (or, if a mail program moved it, the first lines of the
text) is the proof, as for the link: the sender's address is not trusted and not read.
Exit status 0 for every message, acted on or not — a non-zero status would make the mail
server bounce it, and a bounce to a forged sender is spam (backscatter). What happened is
one log line, without the token or any address.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import re
import sys
from email.message import EmailMessage
from typing import Any

from django.core.management.base import BaseCommand

from hisho.errors import NotFound
from hisho.outreach.actions import do_unsubscribe

log = logging.getLogger("hisho.outreach")

# An unsubscribe request is a line; a mail program adds headers and perhaps a signature.
MAX_MESSAGE_BYTES = 256 * 1024
_REQUEST = re.compile(r"\bunsubscribe\s+([A-Za-z0-9_\-:.]{16,512})", re.IGNORECASE)


def _text_lines(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):
        return ""  # an unknown charset or a broken transfer encoding
    return "\n".join(str(content).splitlines()[:5])


def token_in(raw: bytes) -> str | None:
    """The unsubscribe token a message carries, in its subject or its first lines."""
    message = email.parser.BytesParser(_class=EmailMessage, policy=email.policy.default).parsebytes(
        raw
    )
    try:
        subject = str(message.get("Subject", ""))
    except (ValueError, IndexError):  # a malformed encoded word
        subject = ""
    for place in (subject, _text_lines(message)):
        if found := _REQUEST.search(place):
            return found.group(1)
    return None


class Command(BaseCommand):
    help = "Act on one unsubscribe e-mail (the List-Unsubscribe mailto), read from stdin."
    stealth_options = ("stdin",)  # a binary stream in place of standard input (tests)

    def handle(self, *args: Any, **options: Any) -> None:
        stdin = options.get("stdin") or sys.stdin.buffer
        raw = stdin.read(MAX_MESSAGE_BYTES + 1)
        if len(raw) > MAX_MESSAGE_BYTES:
            log.warning("outreach: an unsubscribe e-mail larger than %d bytes", MAX_MESSAGE_BYTES)
            return
        token = token_in(raw)
        if token is None:
            log.warning("outreach: an e-mail to the unsubscribe mailbox without a request")
            return
        try:
            withdrawn = do_unsubscribe(token=token)
        except NotFound:
            log.warning("outreach: an unsubscribe e-mail with a link that is not ours")
            return
        outcome = "withdrew consent" if withdrawn else "changed nothing"
        log.info("outreach: an unsubscribe e-mail %s", outcome)
