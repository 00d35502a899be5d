"""Telling the person (promise K11): once their data was disclosed, by e-mail, at once —
or, when a documented deferral was recorded, as soon as it expires.

`send_due_notices(now=None)` sends every notice that is due; the export calls it right
after it commits, and `hisho legal-send-due-notices` (run periodically, e.g. hourly)
sends the ones whose deferral has expired since. Each notice is sent in its own
transaction that also marks it sent, so a failed send is retried on the next run and two
concurrent runs never send the same notice twice.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hisho.legal.models import DisclosureCase


def due_cases(now: dt.datetime) -> QuerySet[DisclosureCase]:
    return DisclosureCase.objects.filter(
        exported_at__isnull=False, notified_at__isnull=True
    ).filter(Q(notify_after__isnull=True) | Q(notify_after__lte=now))


def send_due_notices(now: dt.datetime | None = None) -> int:
    """Send every notice due at `now` (default: the present). Returns how many were sent."""
    from hisho.legal.actions import do_send_notice

    now = now or timezone.now()
    sent = 0
    for case_id in list(due_cases(now).values_list("pk", flat=True)):
        if do_send_notice(case_id=case_id, now=now):
            sent += 1
    return sent


def notice_text(case: DisclosureCase) -> tuple[str, str]:
    categories = ", ".join(case.categories)
    subject = _("Hisho: we disclosed some of your data to an authority")
    lines = [
        _("Hello,"),
        "",
        _(
            "We are required to tell you that we disclosed some of your data in response "
            "to a legal request."
        ),
        "",
        _("Requesting authority: %(authority)s") % {"authority": case.authority},
        _("Legal basis: %(basis)s") % {"basis": case.legal_basis},
        _("Their reference: %(reference)s") % {"reference": case.reference},
        _("What was disclosed: %(categories)s, from %(start)s to %(end)s")
        % {"categories": categories, "start": case.period_start, "end": case.period_end},
        _("Disclosed on: %(date)s")
        % {"date": timezone.localtime(case.exported_at).date() if case.exported_at else ""},
        _("Our case number: %(case)s") % {"case": case.pk},
        "",
        _(
            'Each time your data was opened for it is listed on your "Who saw my data" page. '
            "Two of our administrators had to approve the disclosure, and it contained "
            "only what is listed above."
        ),
    ]
    return subject, "\n".join(lines)
