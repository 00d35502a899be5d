"""`hisho legal-send-due-notices`: tell people about disclosures whose notice is due —
in particular those whose documented deferral has expired. Run it periodically (e.g.
hourly from cron; docs/audit.md). Prints counts only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hisho.legal.notices import send_due_notices


class Command(BaseCommand):
    help = "Send the disclosure notices that are due (deferrals that have expired included)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_notices()
        self.stdout.write(f"Sent {sent} disclosure notice(s).")
