"""Background pushes (django-tasks; `hisho db_worker` runs them). Arguments are ids only."""

from __future__ import annotations

from django_tasks import task

from hisho.push.send import deliver


@task()
def push_event(user_ids: list[int], kind: str, errand_id: str) -> dict[str, int]:
    return deliver(user_ids, kind, errand_id)
