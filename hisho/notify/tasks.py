"""The notification e-mail: a django-tasks job with ids only (docs/notifications.md).

It says what kind of thing happened on one of the person's errands and links the
errand's page at HISHO_PUBLIC_URL: no title, no message text, no name — whatever the
person wrote or was written stays behind the sign-in.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks import task

from hisho.accounts.models import User
from hisho.desk.access import takes_part_in
from hisho.desk.models import Errand
from hisho.notify.access import email_wanted
from hisho.notify.actions import do_claim_email_notice
from hisho.notify.events import ASSIGNMENT, KINDS, REPLY
from hisho.notify.mail import in_their_words, send_service_email
from hisho.privacy.tasks import site_url


def _subject_and_line(kind: str) -> tuple[str, str]:
    if kind == REPLY:
        return _("Hisho: a new message on your errand"), _(
            "There is a new message on one of your errands."
        )
    if kind == ASSIGNMENT:
        return _("Hisho: an errand is yours to handle"), _(
            "An errand was assigned to you, or its customer accepted you."
        )
    return _("Hisho: your errand's status changed"), _("The status of one of your errands changed.")


@task()
def send_errand_notice(user_id: int, errand_id: str, kind: str) -> bool:
    """E-mail one person about one event on one errand, unless they turned e-mail off,
    no longer take part in the errand, or were e-mailed about it in the last 5 minutes.
    True if an e-mail went out."""
    if kind not in KINDS:
        return False
    person = User.objects.filter(pk=user_id, is_active=True).first()
    errand = Errand.objects.filter(pk=uuid.UUID(errand_id)).first()
    if person is None or not person.email or errand is None:
        return False
    if not takes_part_in(person, errand):
        return False  # reassigned, demoted (or never theirs) by the time this runs
    if not email_wanted(person.pk):
        return False

    def compose() -> tuple[str, str]:
        title, line = _subject_and_line(kind)
        link = site_url(reverse("errand_detail", kwargs={"errand_id": errand.pk}))
        body = "\n\n".join(
            [
                line,
                _("Open it on Hisho (after signing in): %(url)s") % {"url": link},
                _(
                    "For your privacy this e-mail holds nothing you or anyone wrote. You get "
                    "at most one such e-mail per errand every five minutes, and none while "
                    "the errand is open in your browser. Turn them off in your profile: "
                    "%(url)s"
                )
                % {"url": site_url(reverse("me"))},
            ]
        )
        return title, body

    title, body = in_their_words(person, compose)
    with transaction.atomic():
        if not do_claim_email_notice(user=person, errand_id=errand.pk, kind=kind):
            return False
        send_service_email(
            person, reference=f"errand:{errand.pk}:notice:{kind}", title=title, body=body
        )
    return True
