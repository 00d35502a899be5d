from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hisho.demo import DEMO_PASSWORD, PEOPLE, email_of, load_demo


class Command(BaseCommand):
    help = "Load the demo people and errands (idempotent; refused in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.HISHO_DEMO_ALLOWED:
            raise CommandError("Demo data is never loaded in production (HISHO_MODE=production).")
        load_demo()
        self.stdout.write(f"Demo data ready. Password for every account: {DEMO_PASSWORD}")
        for handle, (role, _name) in PEOPLE.items():
            self.stdout.write(f"  {email_of(handle):24} {role.value}")
