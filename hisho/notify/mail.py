"""One way to e-mail a person about the service: written in their language and time zone
(hisho.zones.speaking_to), sent through the declared mail processor (`email_delivery`,
for `service_notices`, disclosing their address), so that it shows on their "My data".

    email_person(person, reference="legal_notice:…", compose=lambda: (title, body))

`compose` runs inside the person's language and zone: every `gettext` and every time
formatted in it speaks to them. Used by role-grant e-mails (hisho.accounts.actions),
legal notices (hisho.legal.actions), policy and consent e-mails (hisho.privacy.tasks) and
errand notifications (hisho.notify.tasks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hisho.zones import speaking_to


def in_their_words(person: Any, compose: Callable[[], tuple[Any, Any]]) -> tuple[str, str]:
    """(title, body) as `compose` writes them in the person's language and time zone."""
    with speaking_to(person):
        title, body = compose()
        return str(title), str(body)


def send_service_email(person: Any, *, reference: str, title: str, body: str) -> None:
    """Send an already written e-mail to the person's address, through the declared
    processor, recorded as a disclosure of their e-mail address for service notices."""
    from hisho.privacy.recipients import recipient

    recipient("email_delivery").send_mail(
        subject=person,
        to=[person.email],
        purpose="service_notices",
        data=["email"],
        reference=reference,
        title=title,
        body=body,
    )


def email_person(person: Any, *, reference: str, compose: Callable[[], tuple[Any, Any]]) -> None:
    """Write (in their words) and send one service e-mail to the person."""
    title, body = in_their_words(person, compose)
    send_service_email(person, reference=reference, title=title, body=body)
