"""Every input path: what a client sends that Hisho stores, logs, queues or echoes (issue 13).

POLICY K9 says card numbers are never stored and no assistant or admin sees them. That
holds only if *every* way text gets in passes DLP, so the ways are listed here, each with
what happens to a card number in it:

- ``Scrubbed``: the action masks cards to their last four digits (``hisho.inbound.scrub``)
  before it stores, logs, mails or broadcasts the text;
- ``Refused``: where a mask makes no sense (an e-mail address is mailed and shown as it
  is), input that carries a card number is refused with a 4xx or a form error;
- ``Masked``: what is written on the way out (a log line, printed mail) or a kept header
  is masked where it is written;
- ``NoFreeText``: the field cannot carry text a client typed, and why.

``FIELDS`` names every CharField and TextField of every installed model (Hisho's and the
libraries'), plus Hisho's sealed fields (ciphertext of text a client sent); fields with
fixed ``choices`` need no entry. ``OTHER_PATHS`` are the rest: headers, the request line,
e-mail addresses, mail. tests/test_inbound_paths.py fails on a field that is missing here,
on an entry whose action does not call the scrubber it is said to, and
tests/desk/test_card_numbers.py sends a card through every path listed here that is not
``NoFreeText``.

Code is named by dotted path (``module.function`` or ``module.Class``), so this module
imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scrubbed:
    """DLP inside the action (house rule 4): cards masked before anything else."""

    action: str


@dataclass(frozen=True)
class Refused:
    """Input that carries a card number is refused (a clear 4xx or form error)."""

    check: str


@dataclass(frozen=True)
class Masked:
    """Masked where it is kept or written (a header, a log line, printed mail)."""

    by: str


@dataclass(frozen=True)
class NoFreeText:
    """Cannot carry text a client typed."""

    reason: str


Handling = Scrubbed | Refused | Masked | NoFreeText

_PLUMBING = "written by the framework or a library from server-side values, never client text"
_HASH = "a hash, signature or key id computed by the server"
_CONFIG = "the operator's configuration of a sign-in provider (admin site, read-only)"
_TASKS = "background jobs: Hisho's tasks take ids only and return counts"
_AUDIT_EXTRA = (
    "ids, flags and short ASCII identifiers only: record_event refuses anything else "
    "(hisho/audit/actions._check_extra)"
)
_ADMIN_LOG = (
    "written by the Django admin site only when it changes something, and it changes "
    "nothing (house rule 1, tests/accounts/test_admin_site.py)"
)
_LEGAL = Scrubbed("hisho.legal.actions.do_open_case")
_PROVIDER_IDS = (
    "ids the payment provider assigns, read from its signed webhook (DLP-scrubbed first) "
    "or its API answer, and checked against the request they name"
)
_SANDBOX = "the sandbox provider's own record of a checkout: server values and Hisho's ids"

FIELDS: dict[str, Handling] = {
    # --- people ------------------------------------------------------------------------
    "accounts.User.email": Refused("hisho.accounts.adapter.AccountAdapter.clean_email"),
    "account.EmailAddress.email": Refused("hisho.accounts.adapter.AccountAdapter.clean_email"),
    "accounts.User.name": Scrubbed("hisho.accounts.actions.do_update_profile"),
    "accounts.User.sealed_phone": Scrubbed("hisho.accounts.actions.do_update_profile"),
    "accounts.User.sealed_mailing_address": Scrubbed("hisho.accounts.actions.do_update_profile"),
    "accounts.User.password": NoFreeText("a password hash (Argon2id); never the password"),
    "accounts.User.country": NoFreeText("two ASCII letters, checked by do_update_profile"),
    "accounts.User.language": NoFreeText("one of settings.LANGUAGES, checked"),
    "accounts.User.time_zone": NoFreeText("an IANA zone name from zoneinfo, checked"),
    # The User-Agent allauth keeps per session: masked in request.META before allauth
    # reads it.
    "usersessions.UserSession.user_agent": Masked("hisho.inbound.MaskCardsInHeaders"),
    "usersessions.UserSession.session_key": NoFreeText(_PLUMBING),
    "sessions.Session.session_key": NoFreeText(_PLUMBING),
    # Server-side session state: ids, flags and allauth's flow state, which holds client
    # text — a sign-up address (refused when it carries a card), a sign-in's next address,
    # and a POST suspended for a fresh sign-in with its fields and headers.
    "sessions.Session.session_data": Masked("hisho.inbound.MaskCardsInSession"),
    "account.EmailConfirmation.key": NoFreeText(_PLUMBING),
    "socialaccount.SocialAccount.uid": NoFreeText("the provider's id for the person"),
    "socialaccount.SocialToken.token": NoFreeText("the provider's access token"),
    "socialaccount.SocialToken.token_secret": NoFreeText("the provider's token secret"),
    "socialaccount.SocialAccount.provider": NoFreeText("a provider's fixed name"),
    "socialaccount.SocialApp.provider": NoFreeText(_CONFIG),
    "socialaccount.SocialApp.provider_id": NoFreeText(_CONFIG),
    "socialaccount.SocialApp.name": NoFreeText(_CONFIG),
    "socialaccount.SocialApp.client_id": NoFreeText(_CONFIG),
    "socialaccount.SocialApp.secret": NoFreeText(_CONFIG),
    "socialaccount.SocialApp.key": NoFreeText(_CONFIG),
    # --- errands and chat (sealed: the ciphertext of scrubbed text) -------------------------
    "desk.Errand.sealed_title": Scrubbed("hisho.desk.actions.do_create_errand"),
    "desk.Errand.sealed_details": Scrubbed("hisho.desk.actions.do_create_errand"),
    "desk.Errand.sealed_phone": Scrubbed("hisho.desk.actions.do_create_errand"),
    "desk.Errand.sealed_address": Scrubbed("hisho.desk.actions.do_create_errand"),
    "desk.Errand.sealed_note": Scrubbed("hisho.desk.actions.do_create_errand"),
    "desk.Errand.sealed_triage_note": Scrubbed("hisho.desk.triage.clean_triage_note"),
    "desk.Errand.category": NoFreeText("a key of policy.yaml's categories (check_category)"),
    "desk.Message.sealed_body": Scrubbed("hisho.desk.actions.do_post_message"),
    "desk.InternalNote.sealed_body": Scrubbed("hisho.desk.tools.actions.do_add_internal_note"),
    "desk.Rating.sealed_comment": Scrubbed("hisho.desk.tools.actions.do_rate_errand"),
    "desk.Label.name_en": Scrubbed("hisho.desk.tools.actions.do_create_label"),
    "desk.Label.name_ja": Scrubbed("hisho.desk.tools.actions.do_create_label"),
    "desk.CannedReply.title": Scrubbed("hisho.desk.tools.actions.do_create_canned_reply"),
    "desk.CannedReply.body_en": Scrubbed("hisho.desk.tools.actions.do_create_canned_reply"),
    "desk.CannedReply.body_ja": Scrubbed("hisho.desk.tools.actions.do_create_canned_reply"),
    "search.ErrandSearchKey.sealed_key": NoFreeText(
        "a random key the server made (base64), sealed by the vault"
    ),
    # --- attachments (docs/attachments.md) ---------------------------------------------------
    # A file name is refused when it carries a card number (a masked name helps no one).
    "attachments.Attachment.sealed_name": Refused("hisho.attachments.screening.clean_file_name"),
    # --- legal disclosure cases (typed by admins) ---------------------------------------------
    "legal.DisclosureCase.authority": _LEGAL,
    "legal.DisclosureCase.legal_basis": _LEGAL,
    "legal.DisclosureCase.reference": _LEGAL,
    "legal.DisclosureCase.rejection_reason": Scrubbed("hisho.legal.actions.do_reject_case"),
    "legal.DisclosureCase.deferral_reason": Scrubbed("hisho.legal.actions.do_defer_notice"),
    "legal.DisclosureCase.bundle_sha256": NoFreeText(_HASH),
    # --- the privacy center -------------------------------------------------------------------
    "privacy.PolicyVersion.changes_en": Scrubbed("hisho.privacy.actions.do_publish_policy_version"),
    "privacy.PolicyVersion.changes_ja": Scrubbed("hisho.privacy.actions.do_publish_policy_version"),
    "privacy.PolicyVersion.digest": NoFreeText(_HASH),
    "privacy.ConnectionRecord.user_agent": Scrubbed(
        "hisho.privacy.actions.retention.do_record_connection"
    ),
    "privacy.ConnectionRecord.route": NoFreeText(
        "the resolved URL pattern (never the path); empty when nothing matched"
    ),
    "privacy.ConnectionRecord.method": NoFreeText("cut to 8 characters: no card fits"),
    "privacy.PageCount.route": NoFreeText("the resolved URL pattern"),
    "privacy.ConsentRecord.purpose": NoFreeText("a purpose key of policy.yaml (checked)"),
    "privacy.ConsentRecord.fingerprint": NoFreeText(_HASH),
    "privacy.Disclosure.recipient": NoFreeText("a recipient key of policy.yaml"),
    "privacy.Disclosure.purpose": NoFreeText("a purpose key of policy.yaml"),
    "privacy.Disclosure.reference": NoFreeText("ids of what was sent, made by the server"),
    # --- keys, audit, signing -----------------------------------------------------------------
    "vault.CustomerKey.master_key_id": NoFreeText(_HASH),
    "vault.DataKey.scope_id": NoFreeText("the id of an errand or a person"),
    "vault.AccessLogEntry.actor_name": NoFreeText(
        "a copy of the staff member's User.name, scrubbed by do_update_profile"
    ),
    "vault.AccessLogEntry.actor_role": NoFreeText("a role name"),
    "vault.AccessLogEntry.kinds": NoFreeText("fixed kinds of read"),
    "audit.AuditEvent.event": NoFreeText("event names, fixed in code"),
    "audit.AuditEvent.target_type": NoFreeText("model names"),
    "audit.AuditEvent.target_id": NoFreeText("ids of rows, made by the server"),
    "audit.AuditEvent.actor_ref": NoFreeText("pseudonymous references made by the server"),
    "audit.AuditEvent.target_ref": NoFreeText("pseudonymous references made by the server"),
    "audit.AuditEvent.prev_hash": NoFreeText(_HASH),
    "audit.AuditEvent.leaf_hash": NoFreeText(_HASH),
    "audit.AuditEvent.salt": NoFreeText("random bits made by the server"),
    "audit.AuditTreeHead.root_hash": NoFreeText(_HASH),
    "audit.AuditTreeHead.key_id": NoFreeText(_HASH),
    "audit.AuditTreeHead.note": NoFreeText("a signed checkpoint made by the server"),
    "audit.AuditSubject.ref": NoFreeText("pseudonymous references made by the server"),
    "audit.AuditSubject.master_key_id": NoFreeText(_HASH),
    "audit.AuditCheckpoint.head_hash": NoFreeText(_HASH),
    "audit.AuditCheckpoint.key_id": NoFreeText(_HASH),
    "signing.SigningKey.key_id": NoFreeText(_HASH),
    "signing.SigningKey.master_key_id": NoFreeText(_HASH),
    # --- framework plumbing -------------------------------------------------------------------
    "admin.LogEntry.object_id": NoFreeText(_ADMIN_LOG),
    "admin.LogEntry.object_repr": NoFreeText(_ADMIN_LOG),
    "admin.LogEntry.change_message": NoFreeText(_ADMIN_LOG),
    "auth.Permission.name": NoFreeText(_PLUMBING),
    "auth.Permission.codename": NoFreeText(_PLUMBING),
    "auth.Group.name": NoFreeText(_PLUMBING),
    "contenttypes.ContentType.app_label": NoFreeText(_PLUMBING),
    "contenttypes.ContentType.model": NoFreeText(_PLUMBING),
    "django_tasks_database.DBTaskResult.task_path": NoFreeText(_TASKS),
    "django_tasks_database.DBTaskResult.queue_name": NoFreeText(_TASKS),
    "django_tasks_database.DBTaskResult.backend_name": NoFreeText(_TASKS),
    "django_tasks_database.DBTaskResult.exception_class_path": NoFreeText(_TASKS),
    "django_tasks_database.DBTaskResult.traceback": NoFreeText(
        "code locations; errors carry no personal data (house rule 5)"
    ),
    # --- outreach ------------------------------------------------------------------------------
    "outreach.Campaign.subject_en": Scrubbed("hisho.outreach.actions.do_create_campaign"),
    "outreach.Campaign.subject_ja": Scrubbed("hisho.outreach.actions.do_create_campaign"),
    "outreach.Campaign.body_en": Scrubbed("hisho.outreach.actions.do_create_campaign"),
    "outreach.Campaign.body_ja": Scrubbed("hisho.outreach.actions.do_create_campaign"),
    "outreach.SurveyAnswer.text": Scrubbed("hisho.outreach.questions.clean_answer"),
    "outreach.Suppression.address_digest": NoFreeText(_HASH),
    "privacy.ConsentConfirmation.fingerprint": NoFreeText(_HASH),
    "privacy.ConsentConfirmation.purpose": NoFreeText("a purpose key of policy.yaml"),
    # --- partners ------------------------------------------------------------------------------
    "partners.Offer.title": Scrubbed("hisho.partners.actions.do_submit_offer"),
    "partners.Offer.body": Scrubbed("hisho.partners.actions.do_submit_offer"),
    "partners.Offer.url": Refused("hisho.partners.actions._offer_url"),
    "partners.Offer.language": NoFreeText("a language code checked against settings.LANGUAGES"),
    "partners.Release.report": NoFreeText("a report key of policy.yaml"),
    # --- Web Push ------------------------------------------------------------------------------
    # A browser's endpoint URL is client text Hisho stores and posts to as it is: one
    # carrying a card number is refused (a masked endpoint would reach nobody).
    "push.PushSubscription.endpoint": Refused("hisho.push.actions.clean_endpoint"),
    "push.PushSubscription.p256dh": NoFreeText(
        "a P-256 public key: base64url of 65 bytes that must decode to a point on the curve"
    ),
    "push.PushSubscription.auth": NoFreeText("a secret: base64url of exactly 16 bytes"),
    # --- backups -------------------------------------------------------------------------------
    "backups.AppliedErasure.entry_hash": NoFreeText(_HASH),
    # --- retries (Idempotency-Key) --------------------------------------------------------
    # The client's key is kept only as a keyed hash (hisho/idempotency/actions.py).
    "idempotency.IdempotencyRecord.key": NoFreeText(_HASH),
    "idempotency.IdempotencyRecord.fingerprint": NoFreeText(_HASH),
    "idempotency.IdempotencyRecord.resource_id": NoFreeText("the id of what a request created"),
    # --- payments ----------------------------------------------------------------------------
    "payments.PaymentRequest.sealed_description": Scrubbed(
        "hisho.payments.actions.requests.do_create_payment_request"
    ),
    "payments.PaymentRequest.provider_payment_id": NoFreeText(_PROVIDER_IDS),
    "payments.CheckoutSession.session_id": NoFreeText(_PROVIDER_IDS),
    "payments.LedgerEntry.provider_event_id": NoFreeText(_PROVIDER_IDS),
    "payments.LedgerEntry.session_id": NoFreeText(_PROVIDER_IDS),
    "payments.LedgerEntry.provider_payment_id": NoFreeText(_PROVIDER_IDS),
    "payments.CheckoutSession.url": NoFreeText(
        "the hosted page's address: the provider's API answer (https, checked) or the "
        "sandbox's own page on this site"
    ),
    "payments.SandboxSession.id": NoFreeText(_SANDBOX),
    "payments.SandboxSession.client_reference_id": NoFreeText(_SANDBOX),
    "payments.SandboxSession.currency": NoFreeText(_SANDBOX),
    "payments.SandboxSession.payment_intent": NoFreeText(_SANDBOX),
    "payments.SandboxSession.payment_status": NoFreeText(_SANDBOX),
    "payments.SandboxSession.success_url": NoFreeText(_SANDBOX),
    "payments.SandboxSession.cancel_url": NoFreeText(_SANDBOX),
    # JSON fields: any string inside them counts as text.
    "usersessions.UserSession.data": NoFreeText(_PLUMBING),
    # A passkey's name, typed by its owner, kept in allauth's JSON data (web and headless).
    "mfa.Authenticator.data": Masked("hisho.accounts.passkeys.mask_passkey_name"),
    "socialaccount.SocialApp.settings": NoFreeText(_CONFIG),
    "socialaccount.SocialAccount.extra_data": Masked("hisho.accounts.social.mask_provider_data"),
    "django_tasks_database.DBTaskResult.args_kwargs": NoFreeText(_TASKS),
    "django_tasks_database.DBTaskResult.worker_ids": NoFreeText(_TASKS),
    "django_tasks_database.DBTaskResult.return_value": NoFreeText(_TASKS),
    "audit.AuditEvent.extra": NoFreeText(_AUDIT_EXTRA),
    "audit.AuditEvent.extra_refs": NoFreeText("pseudonymous references made by the server"),
    "audit.AuditCheckpoint.document": NoFreeText("a signed checkpoint made by the server"),
    "legal.DisclosureCase.categories": NoFreeText("keys checked against a fixed list"),
    "legal.DisclosureCase.disclosed_kinds": NoFreeText("keys checked against a fixed list"),
    "privacy.PolicyVersion.document": NoFreeText("the policy file shipped with Hisho"),
    "privacy.PolicyVersion.renewed_purposes": NoFreeText("purpose keys of policy.yaml"),
    "privacy.Disclosure.data": NoFreeText("data-kind keys of policy.yaml"),
    "partners.Release.signed": NoFreeText("counts per category key, signed by the server"),
    "partners.Offer.categories": NoFreeText("category keys checked against policy.yaml"),
    "outreach.Campaign.questions": Scrubbed("hisho.outreach.questions.clean_questions"),
}

# Not a model field: kept headers, the request line, addresses, what is printed or mailed.
OTHER_PATHS: dict[str, Handling] = {
    # Kept in connection records (exported) and allauth's user sessions.
    "header:User-Agent": Masked("hisho.inbound.MaskCardsInHeaders"),
    # The request line in the ASGI server's access log and websocket lines (uvicorn, under
    # `make serve` and scripts/scaled.py), and in Django's own request logs: settings
    # LOGGING puts the masking filter on their handlers; %-escapes and "+" decoded first.
    "url:path-and-query": Masked("hisho.redaction.MaskCardNumbers"),
    # Whatever the application logs (a second line of defence behind the actions).
    "log:application": Masked("hisho.redaction.MaskCardNumbers"),
    # Sign-up (web and headless API), an added address, a provider's address.
    "email:sign-up": Refused("hisho.accounts.adapter.AccountAdapter.clean_email"),
    # The privacy contact form: the visitor's reply-to is mailed as a header.
    "email:contact-reply-to": Refused("hisho.privacy.actions.do_send_contact_message"),
    # The privacy contact form's message: mailed to the privacy team, not stored.
    "text:contact-message": Scrubbed("hisho.privacy.actions.do_send_contact_message"),
    # Chat over the websocket: the same action as the API and the web form.
    "websocket:message": Scrubbed("hisho.desk.actions.do_post_message"),
    # The text of an attached PDF: a card number in it refuses the file.
    "file:pdf-text": Refused("hisho.attachments.screening.screen"),
    # A voice note's tags (ID3, Vorbis comments, MP4/WebM metadata), kept as sent.
    "file:audio-tags": Refused("hisho.attachments.screening.screen"),
    # Mail printed by the console backend (development, the embedded shape).
    "mail:console": Masked("hisho.redaction.MaskingConsoleEmailBackend"),
    # Django's error reports (debug page, mails to admins): POST data and frame variables.
    "error-report": Masked("hisho.redaction.MaskingExceptionReporterFilter"),
}


def all_paths() -> dict[str, Handling]:
    return {**FIELDS, **OTHER_PATHS}
