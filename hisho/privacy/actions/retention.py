"""Connection data (POLICY K3): recorded per request, then shortened and deleted on time.

Each request leaves one `ConnectionRecord`: time, IP address, user agent, method, status
and the *route pattern* (e.g. `errands/<str:errand_id>/`), never the path — paths carry
errand ids, which lead to a person. After HISHO_CONNECTION_TRUNCATE_DAYS the address is
cut to its network (/24 for IPv4, /48 for IPv6); after HISHO_CONNECTION_DELETE_DAYS the
record is deleted. Both default to, and may not exceed, policy.yaml's `retention.connection`
(system check privacy.E002). `do_enforce_connection_retention` runs daily as a task
(hisho.privacy.tasks) and can be run again at any time with the same result.

Recording is not audited: like the vault's access log, the record is itself the trace,
and an audit event per request would bury the ones that matter.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from hisho.audit.actions import record_event
from hisho.privacy.models import ConnectionRecord, PageCount
from hisho.redaction import mask_cards_decoded

USER_AGENT_MAX = 256
ROUTE_MAX = 200
BATCH = 2000


def clean_ip(raw: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((raw or "").strip()))
    except ValueError:
        return None


def truncate_ip(ip: str) -> str:
    """The address's network: /24 for IPv4, /48 for IPv6 (an IPv4-mapped IPv6 as IPv4)."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def do_record_connection(
    *,
    user: Any | None,
    ip: str | None,
    user_agent: str,
    route: str,
    method: str,
    status: int,
) -> ConnectionRecord:
    """One request's metadata (a single INSERT). The User-Agent is what the client chose to
    send: card numbers in it are masked before it is kept (and exported), POLICY K9."""
    return ConnectionRecord.objects.create(
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        ip=clean_ip(ip),
        user_agent=mask_cards_decoded(user_agent)[:USER_AGENT_MAX],
        route=route[:ROUTE_MAX],
        method=method[:8],
        status=status,
    )


@transaction.atomic
def do_count_page(*, route: str, day: dt.date | None = None) -> None:
    """Add one to a page's count for the day (consenting visits only; no person)."""
    day = day or timezone.localdate()
    route = route[:ROUTE_MAX]
    counts = PageCount.objects.filter(day=day, route=route)
    if counts.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            PageCount.objects.create(day=day, route=route, count=1)
    except IntegrityError:  # the first visit of the day was counted concurrently
        counts.update(count=F("count") + 1)


@dataclass(frozen=True)
class RetentionReport:
    truncated: int
    deleted: int


def periods() -> tuple[int, int]:
    return settings.HISHO_CONNECTION_TRUNCATE_DAYS, settings.HISHO_CONNECTION_DELETE_DAYS


@transaction.atomic
def do_enforce_connection_retention(*, now: dt.datetime | None = None) -> RetentionReport:
    """Shorten the addresses of records older than the truncation period and delete
    records older than the deletion period. Running it twice changes nothing more."""
    now = now or timezone.now()
    truncate_days, delete_days = periods()
    deleted, _ = ConnectionRecord.objects.filter(
        at__lt=now - dt.timedelta(days=delete_days)
    ).delete()
    due = ConnectionRecord.objects.filter(
        ip_truncated=False, at__lt=now - dt.timedelta(days=truncate_days)
    )
    truncated = due.filter(ip__isnull=True).update(ip_truncated=True)
    # One pass in id order, a batch at a time; within a batch, one UPDATE per network
    # (a visitor's, an office's addresses all become the same value).
    last = 0
    while True:
        batch = list(
            due.filter(ip__isnull=False, pk__gt=last).order_by("pk").values_list("pk", "ip")[:BATCH]
        )
        if not batch:
            break
        last = batch[-1][0]
        networks: dict[str, list[int]] = {}
        for pk, address in batch:
            networks.setdefault(truncate_ip(str(address)), []).append(pk)
        for network, pks in networks.items():
            truncated += ConnectionRecord.objects.filter(pk__in=pks).update(
                ip=network, ip_truncated=True
            )
    if truncated or deleted:
        record_event(
            "privacy.retention_enforced",
            actor=None,
            extra={"truncated": truncated, "deleted": deleted},
        )
    return RetentionReport(truncated=truncated, deleted=deleted)
