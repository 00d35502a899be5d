"""No request is served while the erasure ledger is ahead of the database — a restored
backup whose later erasures are not re-applied yet — however the server was started
(`make serve` runs `hisho check` first; a bare `uvicorn` does not). Each process checks
until the ledger and the database agree once, then never again: erasures are only ever
added by this service's own erasure action, which records them in both at once."""

from __future__ import annotations

from collections.abc import Callable

from django.core import checks
from django.http import HttpRequest, HttpResponse

from hisho.backups.checks import ledger_problems
from hisho.problems import problem_response


class ErasureLedgerGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.agreed = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.agreed:
            if any(problem.level >= checks.ERROR for problem in ledger_problems()):
                return problem_response(
                    503,
                    "This service is being restored: erasures made after its backup are "
                    "not re-applied yet (`hisho apply-erasures`). Try again in a moment.",
                )
            self.agreed = True
        return self.get_response(request)
