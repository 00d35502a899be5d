"""Every change to errands and their chat (house rule 1).

Each action takes the acting user, checks what that user may do, writes, and records
its audit event in the same transaction. Views and API endpoints only call these.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from hisho.accounts.access import require_role
from hisho.accounts.models import Role, User
from hisho.audit.actions import record_event
from hisho.desk import live
from hisho.desk.access import holds_errand
from hisho.desk.content import seal_errand_value, seal_message_body
from hisho.desk.models import ACTIVE_ASSIGNED_STATUSES, OPEN_STATUSES, Errand, Message, Status
from hisho.desk.triage import check_category, clean_triage_note
from hisho.errors import Conflict, Forbidden, InvalidInput, NotFound
from hisho.inbound import regions_of, scrub
from hisho.search.actions import do_index_errand_text
from hisho.textcheck import (
    ADDRESS_MAX,
    DETAILS_MAX,
    MESSAGE_MAX,
    NOTE_MAX,
    PHONE_MAX,
    TITLE_MAX,
)
from hisho.vault.actions import do_log_assignment_change
from hisho.vault.models import AccessAction
from hisho.zones import speaking_to


class _Inbound:
    """Scrubs each text field of one action and counts the card numbers it masked."""

    def __init__(self) -> None:
        self.cards_masked = 0

    def __call__(self, field: str, value: str, *, max_length: int, required: bool = False) -> str:
        scrubbed = scrub(field, value, max_length=max_length, required=required)
        self.cards_masked += scrubbed.cards_masked
        return scrubbed.text


@transaction.atomic
def do_create_errand(
    *,
    actor: User,
    title: str,
    details: str = "",
    phone: str | None = None,
    address: str | None = None,
    note: str | None = None,
    category: str | None = None,
    triage_note: str | None = None,
) -> Errand:
    require_role(actor, Role.CUSTOMER, detail="Only customers can create errands.")
    category = check_category(category)
    coordinators_note = clean_triage_note(triage_note, regions=regions_of(actor))
    inbound = _Inbound()
    inbound.cards_masked += coordinators_note.cards_masked
    title = inbound("title", title, max_length=TITLE_MAX, required=True)
    details = inbound("details", details, max_length=DETAILS_MAX)
    phone = inbound("sealed.phone", phone or "", max_length=PHONE_MAX)
    address = inbound("sealed.address", address or "", max_length=ADDRESS_MAX)
    note = inbound("sealed.note", note or "", max_length=NOTE_MAX)
    errand_id = uuid.uuid4()  # known before the insert: each ciphertext is bound to it

    def sealed(field: str, value: str) -> bytes | None:
        return seal_errand_value(actor, errand_id, field, value)

    errand = Errand.objects.create(
        id=errand_id,
        customer=actor,
        sealed_title=sealed("title", title),
        sealed_details=sealed("details", details),
        category=category,
        sealed_triage_note=sealed("triage_note", coordinators_note.text),
        sealed_phone=sealed("phone", phone),
        sealed_address=sealed("address", address),
        sealed_note=sealed("note", note),
    )
    errand.cards_masked = inbound.cards_masked
    # The blind index, from the scrubbed text just sealed (hisho/search, docs/search.md).
    do_index_errand_text(actor=actor, errand=errand, texts=[title, details], whole=True)
    record_event(
        "errand.created", actor=actor, target=errand, extra={"cards_masked": inbound.cards_masked}
    )
    return errand


def _require_admin(actor: User) -> None:
    require_role(actor, Role.ADMIN, detail="Only admins can assign errands.")


def _reassignable(errand: Errand) -> None:
    if errand.status not in OPEN_STATUSES:
        raise Conflict(f"A {errand.status} errand cannot be assigned.")


def _assign(*, actor: User, errand: Errand, assistant: User, how: str) -> Errand:
    previous_id = errand.assignee_id
    if previous_id == assistant.pk:
        return errand
    errand.assignee = assistant
    # A customer who asked to approve new assistants accepts this one first.
    errand.assignee_accepted = not errand.customer.approve_assignees
    update = ["assignee", "assignee_accepted", "updated_at"]
    if errand.status == Status.NEW:
        errand.status = Status.ASSIGNED
        update.append("status")
    errand.save(update_fields=update)
    record_event(
        "errand.reassigned" if previous_id else "errand.assigned",
        actor=actor,
        target=errand,
        extra={
            "assignee_id": assistant.pk,
            "previous_assignee_id": previous_id,
            "how": how,
            "needs_acceptance": not errand.assignee_accepted,
        },
    )
    _log_assignment(errand, previous_id=previous_id, assistant=assistant)
    _tell_customer(errand, "assigned")
    # The customer has just been told by _tell_customer; the assistant is told here.
    _notify(errand, "assignment", assistant.pk, actor=actor)
    # Live fan-out once committed (hisho/desk/live.py): the previous assignee's open
    # connections close on this event.
    live.assignment_changed(
        errand_id=errand.pk,
        customer_id=errand.customer_id,
        assignee_id=assistant.pk,
        previous_id=previous_id,
    )
    return errand


def _log_assignment(errand: Errand, *, previous_id: int | None, assistant: User | None) -> None:
    """The customer's "Who saw my data": who lost the errand, who was given it."""
    if previous_id is not None:
        previous = User.objects.get(pk=previous_id)
        do_log_assignment_change(
            assistant=previous,
            customer_id=errand.customer_id,
            errand_id=errand.pk,
            action=AccessAction.UNASSIGNED,
        )
    if assistant is not None:
        do_log_assignment_change(
            assistant=assistant,
            customer_id=errand.customer_id,
            errand_id=errand.pk,
            action=AccessAction.ASSIGNED,
        )


def _notify(errand: Errand, kind: str, *people: int | None, actor: User | None = None) -> None:
    """E-mail the people named who have no socket open for the errand (hisho.notify; the
    one who acted is never told about their own act): queued in the action's transaction,
    so the job commits with the change or not at all."""
    from hisho.notify.events import errand_event

    named = [p for p in people if p is not None and (actor is None or p != actor.pk)]
    if named:
        errand_event(errand_id=errand.pk, kind=kind, people=named)


_CUSTOMER_MAIL = {
    "assigned": (
        gettext_lazy("Hisho: an assistant has your errand"),
        gettext_lazy(
            "%(name)s now handles your errand and can read what you gave with it. "
            "Every time they open it is listed on your “Who saw my data” page. If you would "
            "rather have someone else, ask for a different assistant on the errand's page: "
            "%(url)s"
        ),
    ),
    "handed_back": (
        gettext_lazy("Hisho: your errand is waiting for a new assistant"),
        gettext_lazy(
            "%(name)s handed your errand back, and can no longer open it. Another assistant "
            "will take it; you will be told who. Your errand: %(url)s"
        ),
    ),
    "assistant_left": (
        gettext_lazy("Hisho: your errand is waiting for a new assistant"),
        gettext_lazy(
            "%(name)s no longer handles errands at Hisho and can no longer open yours. "
            "Another assistant will take it; you will be told who. Your errand: %(url)s"
        ),
    ),
    "needs_acceptance": (
        gettext_lazy("Hisho: accept your errand's assistant"),
        gettext_lazy(
            "%(name)s was chosen to handle your errand. You asked to approve new assistants "
            "first: until you accept, they see only its category and your note for "
            "coordinators. Accept or ask for someone else: %(url)s"
        ),
    ),
}


def _tell_customer(errand: Errand, step: str, *, handed_back_by: User | None = None) -> None:
    """E-mail the customer about who handles their errand, once the change commits. The
    mail names the assistant and links the errand; it holds nothing the customer wrote."""
    errand_id, customer_id = errand.pk, errand.customer_id
    assistant_name = errand.assignee.display_name if errand.assignee else ""
    if handed_back_by is not None:
        assistant_name = handed_back_by.display_name
    if step == "assigned" and not errand.assignee_accepted:
        step = "needs_acceptance"

    def send() -> None:
        from django.urls import reverse

        from hisho.privacy.recipients import recipient
        from hisho.privacy.tasks import site_url

        customer = User.objects.filter(pk=customer_id, is_active=True).first()
        if customer is None or not customer.email:
            return
        with speaking_to(customer):
            title, body = _CUSTOMER_MAIL[step]
            url = site_url(reverse("errand_detail", kwargs={"errand_id": errand_id}))
            text = str(body) % {"name": assistant_name, "url": url}
            recipient("email_delivery").send_mail(
                subject=customer,
                to=[customer.email],
                purpose="service_notices",
                data=["email"],
                reference=f"errand:{errand_id}:{step}",
                title=str(title),
                body=text,
            )

    transaction.on_commit(send, robust=True)


def _lock(errand: Errand) -> Errand:
    # Re-read under a row lock: the caller's copy may predate a concurrent change.
    return Errand.objects.select_for_update().select_related("customer").get(pk=errand.pk)


@transaction.atomic
def do_assign_errand(*, actor: User, errand: Errand, assistant_id: int) -> Errand:
    """(Re)assign to a named assistant. The previous assignee loses access at once,
    because access is decided by the errand's current assignee on every read."""
    _require_admin(actor)
    errand = _lock(errand)
    _reassignable(errand)
    assistant = User.objects.filter(pk=assistant_id, role=Role.ASSISTANT, is_active=True).first()
    if assistant is None:
        raise InvalidInput("assistant_id", "No active assistant has this id.")
    return _assign(actor=actor, errand=errand, assistant=assistant, how="manual")


def least_loaded_assistant() -> User | None:
    """The active assistant with the fewest open assigned errands (ties: oldest account)."""
    return (
        User.objects.filter(role=Role.ASSISTANT, is_active=True)
        .annotate(
            load=Count(
                "assigned_errands",
                filter=Q(assigned_errands__status__in=ACTIVE_ASSIGNED_STATUSES),
            )
        )
        .order_by("load", "pk")
        .first()
    )


@transaction.atomic
def do_assign_least_loaded(*, actor: User, errand: Errand) -> Errand:
    _require_admin(actor)
    errand = _lock(errand)
    _reassignable(errand)
    assistant = least_loaded_assistant()
    if assistant is None:
        raise Conflict("There is no active assistant to assign.")
    return _assign(actor=actor, errand=errand, assistant=assistant, how="least_loaded")


# Who may move an errand from which status to which (the lifecycle in API.md).
_CUSTOMER_MOVES = {
    Status.NEW: {Status.CANCELLED},
    Status.ASSIGNED: {Status.CANCELLED},
    Status.IN_PROGRESS: {Status.CANCELLED},
}
_ASSIGNEE_MOVES = {
    Status.ASSIGNED: {Status.IN_PROGRESS},
    Status.IN_PROGRESS: {Status.DONE},
}


@transaction.atomic
def do_change_status(*, actor: User, errand: Errand, status: str) -> Errand:
    errand = _lock(errand)
    if not holds_errand(actor, errand):
        raise NotFound("No such errand.")
    try:
        target = Status(status)
    except ValueError:
        raise InvalidInput("status", "Not a known status.") from None
    moves = _CUSTOMER_MOVES if errand.customer_id == actor.pk else _ASSIGNEE_MOVES
    if target not in moves.get(Status(errand.status), set()):
        raise Conflict(f"Cannot move this errand from {errand.status} to {target.value}.")
    previous = errand.status
    errand.status = target
    errand.save(update_fields=["status", "updated_at"])
    _status_event(errand, actor, previous)
    return errand


@transaction.atomic
def do_post_message(*, actor: User, errand: Errand, body: str) -> Message:
    if not holds_errand(actor, errand):
        raise NotFound("No such errand.")
    inbound = _Inbound()
    body = inbound("body", body, max_length=MESSAGE_MAX, required=True)
    if errand.status not in OPEN_STATUSES:
        raise Conflict(f"This errand is {errand.status}; its chat is closed.")
    seal_id = uuid.uuid4()
    message = Message.objects.create(
        errand=errand,
        author=actor,
        seal_id=seal_id,
        sealed_body=seal_message_body(errand, seal_id, body),
    )
    message.posted_body = body  # for the caller's reply, in memory only
    message.cards_masked = inbound.cards_masked
    Errand.objects.filter(pk=errand.pk).update(updated_at=message.created_at)
    do_index_errand_text(actor=actor, errand=errand, texts=[body])
    record_event(
        "message.posted",
        actor=actor,
        target=message,
        extra={"errand_id": errand.pk, "cards_masked": inbound.cards_masked},
    )
    # A reply: the other party, if they may read it (an assistant not yet accepted may not).
    readers = [errand.customer_id, errand.assignee_id if errand.assignee_accepted else None]
    _notify(errand, "reply", *readers, actor=actor)
    live.message_posted(
        errand_id=errand.pk,
        message_id=message.pk,
        customer_id=errand.customer_id,
        assignee_id=errand.assignee_id,
    )
    return message


def _require_owner(actor: User, errand: Errand) -> None:
    if errand.customer_id != actor.pk or actor.role != Role.CUSTOMER:
        raise NotFound("No such errand.")


def _back_to_queue(errand: Errand, *, actor: User, previous_id: int | None, how: str) -> None:
    """The errand (locked by the caller) goes back to the queue: status new, nobody holds
    it, its assistant loses access at once. Audited with `how`, told in the customer's
    history and "Who saw my data", and on open pages; e-mailing the customer is the
    caller's (each says why in its own words)."""
    errand.assignee = None
    errand.assignee_accepted = True
    errand.status = Status.NEW
    errand.save(update_fields=["assignee", "assignee_accepted", "status", "updated_at"])
    record_event(
        "errand.unassigned",
        actor=actor,
        target=errand,
        extra={"previous_assignee_id": previous_id, "how": how},
    )
    _log_assignment(errand, previous_id=previous_id, assistant=None)
    live.assignment_changed(
        errand_id=errand.pk,
        customer_id=errand.customer_id,
        assignee_id=None,
        previous_id=previous_id,
    )


@transaction.atomic
def do_request_other_assistant(*, actor: User, errand: Errand) -> Errand:
    """The customer asks for a different assistant: the current one loses the errand at
    once (it goes back to the queue, status `new`), and the customer sees it logged."""
    errand = _lock(errand)
    _require_owner(actor, errand)
    if errand.assignee_id is None:
        raise Conflict("No assistant handles this errand yet.")
    if errand.status not in OPEN_STATUSES:
        raise Conflict(f"This errand is {errand.status}.")
    _back_to_queue(errand, actor=actor, previous_id=errand.assignee_id, how="customer_asked")
    return errand


@transaction.atomic
def do_accept_assignee(*, actor: User, errand: Errand) -> Errand:
    """The customer accepts the assistant chosen for their errand: from now on the
    assistant may open it."""
    errand = _lock(errand)
    _require_owner(actor, errand)
    if errand.assignee is None or errand.assignee_accepted:
        raise Conflict("There is no assistant waiting for your acceptance.")
    errand.assignee_accepted = True
    errand.save(update_fields=["assignee_accepted", "updated_at"])
    record_event(
        "errand.assignee_accepted",
        actor=actor,
        target=errand,
        extra={"assignee_id": errand.assignee_id},
    )
    do_log_assignment_change(
        assistant=errand.assignee,
        customer_id=errand.customer_id,
        errand_id=errand.pk,
        action=AccessAction.ACCEPTED,
    )
    _notify(errand, "assignment", errand.assignee_id, actor=actor)
    live.status_changed(
        errand_id=errand.pk,
        customer_id=errand.customer_id,
        assignee_id=errand.assignee_id,
    )
    return errand


# --- Claiming and handing back (issue 18) ----------------------------------------------------


def assistants_may_claim() -> bool:
    """The operator's choice (HISHO_ASSISTANTS_MAY_CLAIM, off unless turned on)."""
    return bool(getattr(settings, "HISHO_ASSISTANTS_MAY_CLAIM", False))


@transaction.atomic
def do_claim_errand(*, actor: User, errand: Errand) -> Errand:
    """An assistant takes an errand from the queue themself. Four eyes do not apply (the
    assistant gains only what an admin's assignment would give them), but the customer
    sees it as any assignment: history, e-mail, and — if they asked to approve new
    assistants — the claim waits for their acceptance like an assignment does."""
    require_role(actor, Role.ASSISTANT, detail="Only assistants can claim errands.")
    if not assistants_may_claim():
        raise Forbidden("Assistants may not claim errands here; an admin assigns them.")
    errand = _lock(errand)
    if errand.assignee_id is not None or errand.status != Status.NEW:
        raise Conflict("This errand is no longer in the queue.")
    return _assign(actor=actor, errand=errand, assistant=actor, how="claimed")


@transaction.atomic
def do_hand_back_errand(*, actor: User, errand: Errand) -> Errand:
    """The assignee returns the errand to the queue: status new, nobody holds it, the
    assignee loses access at once; the history records it and the customer is told."""
    errand = _lock(errand)
    if errand.assignee_id != actor.pk or actor.role != Role.ASSISTANT or not actor.is_active:
        raise NotFound("No such errand.")
    if errand.status not in ACTIVE_ASSIGNED_STATUSES:
        raise Conflict(f"A {errand.status} errand cannot be handed back.")
    _back_to_queue(errand, actor=actor, previous_id=actor.pk, how="handed_back")
    _tell_customer(errand, "handed_back", handed_back_by=actor)
    return errand


@transaction.atomic
def do_release_errands_of(*, actor: User, person: User) -> int:
    """`person` no longer handles errands (an admin changed their role or deactivated
    them): every errand they held open goes back to the queue at once, as if handed back.
    They lost access with their role already; without this the errand stayed theirs in
    triage and its customer waited on someone who could no longer open it. Done and
    cancelled errands keep their assignee (the record of who handled them; reopening one
    sends it to the queue). Returns how many went back."""
    held = Errand.objects.filter(assignee=person, status__in=ACTIVE_ASSIGNED_STATUSES)
    released = 0
    for errand in held.order_by("created_at").select_for_update():
        _back_to_queue(errand, actor=actor, previous_id=person.pk, how="assistant_left")
        _tell_customer(errand, "assistant_left", handed_back_by=person)
        released += 1
    return released


# --- The customer closes or reopens a done errand (issue 18) ---------------------------------


def _status_event(errand: Errand, actor: User, previous: str) -> None:
    """Every status change: its audit event, the e-mail/push notice and the live frame."""
    record_event(
        "errand.status_changed",
        actor=actor,
        target=errand,
        extra={"from": previous, "to": errand.status},
    )
    _notify(errand, "status", errand.customer_id, errand.assignee_id, actor=actor)
    live.status_changed(
        errand_id=errand.pk,
        customer_id=errand.customer_id,
        assignee_id=errand.assignee_id,
    )


@transaction.atomic
def do_confirm_done(*, actor: User, errand: Errand) -> Errand:
    """The customer confirms their done errand: it stays done, now closed for good."""
    errand = _lock(errand)
    _require_owner(actor, errand)
    if errand.status != Status.DONE or errand.confirmed_at is not None:
        raise Conflict("Only a done errand that is not yet confirmed can be confirmed.")
    errand.confirmed_at = timezone.now()
    errand.save(update_fields=["confirmed_at", "updated_at"])
    record_event("errand.confirmed", actor=actor, target=errand, extra={})
    _notify(errand, "status", errand.assignee_id, actor=actor)
    return errand


@transaction.atomic
def do_reopen_errand(*, actor: User, errand: Errand) -> Errand:
    """The customer reopens a done errand they have not confirmed: back in progress with
    the same assistant if they still are one, otherwise back to the queue."""
    errand = _lock(errand)
    _require_owner(actor, errand)
    if errand.status != Status.DONE or errand.confirmed_at is not None:
        raise Conflict("Only a done errand that is not yet confirmed can be reopened.")
    previous = errand.status
    assignee = errand.assignee
    if assignee is not None and assignee.is_active and assignee.role == Role.ASSISTANT:
        errand.status = Status.IN_PROGRESS
        errand.save(update_fields=["status", "updated_at"])
        _status_event(errand, actor, previous)
        return errand
    previous_id = errand.assignee_id
    errand.assignee = None
    errand.assignee_accepted = True
    errand.status = Status.NEW
    errand.save(update_fields=["assignee", "assignee_accepted", "status", "updated_at"])
    if previous_id is not None:
        record_event(
            "errand.unassigned",
            actor=actor,
            target=errand,
            extra={"previous_assignee_id": previous_id, "how": "reopened"},
        )
        _log_assignment(errand, previous_id=previous_id, assistant=None)
    _status_event(errand, actor, previous)
    return errand
