"""The one way personal data leaves Hisho (POLICY K5): through a recipient declared in
policy.yaml, for a purpose declared for it, with only the kinds of data it is declared to
receive — and, when the purpose rests on consent, only for a person who gave it.

    recipient("email_delivery").send_mail(subject=person, to=[person.email], …)
    recipient("authorities").disclose(subject=person, purpose=…, data=[…], deliver=…)
    recipient("newsletter_service").request_deletion(subject=person, purpose=…, deliver=…)

Each send is recorded as a `Disclosure` of the person it is about (shown on "My data").
Nothing else in hisho/ may open an outbound channel (mail, HTTP, sockets):
tests/privacy/test_recipients.py reads every module and fails on one that does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from smtplib import SMTPException, SMTPRecipientsRefused
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from hisho.errors import MailUnavailable
from hisho.privacy.policy import Policy, Recipient, current_policy


class Refused(Exception):
    """The relay refused every recipient of a message (e.g. an address that does not
    exist). Unlike smtplib's SMTPRecipientsRefused, which it replaces, it names no address
    — neither as the key smtplib files the answer under nor in the relay's own words
    ("<bob@…>: Recipient address rejected"): a job that fails on it is logged by the
    worker with its traceback, which the job table also keeps (house rule 5)."""

    def __init__(self, codes: Sequence[int] = ()) -> None:
        self.codes = tuple(sorted(set(codes)))
        shown = ", ".join(str(code) for code in self.codes) or "no code"
        super().__init__(f"the relay refused the recipient (SMTP {shown})")


# What a request tells the person when the relay is down (hisho.outages answers 503).
RELAY_DOWN = "We could not send the e-mail just now. Please try again in a few minutes."


@contextmanager
def relay_errors(detail: str = RELAY_DOWN) -> Iterator[None]:
    """Mail sent inside the block that the relay does not take (unreachable, timed out,
    a 4xx/5xx of its own) raises MailUnavailable(detail): a 503 the person can act on,
    not a 500. `Refused` (every recipient refused) is left as it is: the outreach batch
    marks that copy failed and goes on."""
    try:
        yield
    except Refused:
        raise
    except SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise Refused(codes) from None  # from None: smtplib's exception holds the addresses
    except (SMTPException, OSError) as exc:
        raise MailUnavailable(detail) from exc


class PushRefused(Exception):
    """A push service did not take a message; `status` is its HTTP status (None: no
    answer)."""

    def __init__(self, status: int | None) -> None:
        super().__init__(f"push refused ({status})")
        self.status = status


class UndeclaredRecipient(Exception):
    """Code tried to send personal data somewhere policy.yaml does not declare."""

    def __init__(self, key: str) -> None:
        super().__init__(f"recipient {key!r} is not declared in policy.yaml")
        self.key = key


class UndeclaredDisclosure(Exception):
    """The recipient is declared, but not for this purpose or these kinds of data."""


class ConsentMissing(Exception):
    """The purpose rests on consent and the person has not given it (or withdrew it)."""


# Purposes whose mail may go through an e-mail service provider instead of the relay.
OUTREACH_PURPOSES = frozenset({"newsletters", "surveys"})


@dataclass(frozen=True)
class DeclaredRecipient:
    declaration: Recipient
    policy: Policy

    @property
    def key(self) -> str:
        return self.declaration.key

    def check(
        self, *, subject: Any | None, purpose: str, data: Sequence[str], consent: bool = True
    ) -> None:
        """Refuse what policy.yaml does not allow this recipient to receive."""
        if purpose not in self.declaration.purposes:
            raise UndeclaredDisclosure(f"{self.key} is not declared for purpose {purpose!r}")
        extra = sorted(set(data) - set(self.declaration.receives))
        if extra:
            raise UndeclaredDisclosure(f"{self.key} is not declared to receive {extra}")
        declared = self.policy.purposes[purpose]
        if declared.needs_consent and consent:
            from hisho.privacy.consents import has_consent

            if subject is None or not has_consent(subject, purpose):
                raise ConsentMissing(purpose)

    def disclose(
        self,
        *,
        subject: Any | None,
        purpose: str,
        data: Sequence[str],
        reference: str,
        deliver: Callable[[], None],
    ) -> None:
        """Check, record the disclosure and deliver, in one transaction: if delivery
        fails, no disclosure is recorded."""
        from hisho.privacy.actions import do_record_disclosure

        self.check(subject=subject, purpose=purpose, data=data)
        with transaction.atomic():
            if subject is not None:
                do_record_disclosure(
                    subject=subject,
                    recipient=self.key,
                    purpose=purpose,
                    data=list(data),
                    reference=reference,
                )
            deliver()

    def send_mail(
        self,
        *,
        subject: Any | None,
        to: Sequence[str],
        purpose: str,
        data: Sequence[str],
        reference: str,
        title: str,
        body: str,
        reply_to: Sequence[str] = (),
        headers: dict[str, str] | None = None,
        connection: Any | None = None,
    ) -> None:
        """An e-mail through Django's mail backend (the operator's delivery service);
        `connection` lets a batch share one connection to the relay."""

        def deliver() -> None:
            with relay_errors():
                EmailMessage(
                    subject=title,
                    body=body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=list(to),
                    reply_to=list(reply_to) or None,
                    headers=headers,
                    connection=connection,
                ).send()

        self.disclose(
            subject=subject, purpose=purpose, data=data, reference=reference, deliver=deliver
        )

    def send_push(
        self,
        *,
        subject: Any,
        subscription: dict[str, Any],
        payload: bytes,
        purpose: str,
        data: Sequence[str],
        reference: str,
        vapid_key: Any,
        vapid_sub: str,
        ttl: int,
    ) -> None:
        """One Web Push message (RFC 8030), its payload encrypted to the browser
        (aes128gcm, RFC 8291) and signed for with VAPID (RFC 8292), through pywebpush.
        Raises PushRefused with the push service's status if it does not take it (404
        and 410: the subscription is gone)."""
        import requests
        from pywebpush import WebPushException, webpush

        def deliver() -> None:
            with requests.Session() as session:
                session.trust_env = False  # no proxy from the environment
                try:
                    webpush(
                        subscription_info=subscription,
                        data=payload.decode("ascii"),
                        vapid_private_key=vapid_key,
                        vapid_claims={"sub": vapid_sub},
                        content_encoding="aes128gcm",
                        timeout=10,
                        ttl=ttl,
                        requests_session=session,
                    )
                except WebPushException as exc:
                    status = getattr(exc.response, "status_code", None)
                    raise PushRefused(status) from None
                except requests.RequestException:
                    raise PushRefused(None) from None

        self.disclose(
            subject=subject, purpose=purpose, data=data, reference=reference, deliver=deliver
        )

    def connection(self) -> Any:
        """One connection to the mail relay for a batch of `send_mail(connection=…)`:
        `with recipient(k).connection() as c: …` (closed at the end of the block). The
        newsletter and survey processors use the e-mail service provider configured for
        them (HISHO_OUTREACH_EMAIL_BACKEND, a django-anymail backend), when there is one."""
        backend = settings.HISHO_OUTREACH_EMAIL_BACKEND
        if backend and OUTREACH_PURPOSES & set(self.declaration.purposes):
            return get_connection(backend=backend)
        return get_connection()

    def request_deletion(self, *, subject: Any, address: str, purpose: str, reference: str) -> bool:
        """Ask the recipient to delete the address it received about `subject` for
        `purpose` (consent withdrawn), by e-mail to its privacy desk
        (HISHO_PROCESSOR_DELETION_EMAIL). Needs no consent — it ends a use — and only goes
        where something went before. The request is itself recorded as a disclosure (it
        names the address again). True if a request was sent."""
        from hisho.privacy.actions import do_record_disclosure
        from hisho.privacy.models import Disclosure

        self.check(subject=None, purpose=purpose, data=["email"], consent=False)
        if not Disclosure.objects.filter(
            subject_id=subject.pk, recipient=self.key, purpose=purpose
        ).exists():
            return False
        with transaction.atomic():
            do_record_disclosure(
                subject=subject,
                recipient=self.key,
                purpose=purpose,
                data=["email"],
                reference=reference,
            )
            EmailMessage(
                subject=f"Deletion request {reference}",
                body=(
                    f"Please delete the address {address} and everything you keep about it "
                    f"for the purpose {purpose!r} (consent withdrawn), and send it nothing more."
                ),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[settings.HISHO_PROCESSOR_DELETION_EMAIL],
            ).send()
        return True


def recipient(key: str, *, policy: Policy | None = None) -> DeclaredRecipient:
    """The declared recipient `key`; UndeclaredRecipient if policy.yaml has none."""
    policy = policy or current_policy()
    declaration = policy.recipients.get(key)
    if declaration is None:
        raise UndeclaredRecipient(key)
    return DeclaredRecipient(declaration, policy)
