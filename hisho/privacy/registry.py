"""The personal-data field registry.

Every model field that *can* hold personal data is declared: either in policy.yaml, under
the kind of personal data it holds (`data[].fields`), or below in `NOT_PERSONAL`, with the
reason it holds none. tests/privacy/test_registry.py walks every installed model and
fails on a field that is in neither, so a new column cannot quietly start holding
personal data that the policy does not mention.

A field can hold personal data when it is
- free content: text, binary, JSON, IP address or file (without fixed `choices`);
- a relation to a person (the user model);
- a plain column holding a person's id (named like `actor_id`, `user_id`, …).
Numbers, flags, dates and fixed choices cannot on their own, and primary keys are ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models

from hisho.privacy.policy import Policy, current_policy

# Columns named like this hold a person's id even though they are not foreign keys.
PERSON_ID_SUFFIXES = ("actor_id", "user_id", "person_id", "customer_id", "assignee_id")

_FREE_CONTENT = (
    models.CharField,  # includes EmailField, SlugField, URLField
    models.TextField,
    models.BinaryField,
    models.JSONField,
    models.GenericIPAddressField,
    models.FileField,
)

# Fields of the kinds above that hold no personal data, and why.
NOT_PERSONAL: dict[str, str] = {
    # Private search: a random key the server made, sealed under the errand's key.
    "search.ErrandSearchKey.sealed_key": "a random key, sealed by the vault (docs/search.md)",
    # Outreach: what admins write for everyone (card numbers masked on the way in).
    "outreach.Campaign.subject_en": "a newsletter's or survey's subject, written for everyone",
    "outreach.Campaign.subject_ja": "a newsletter's or survey's subject, written for everyone",
    "outreach.Campaign.body_en": "a newsletter's or survey's text, written for everyone",
    "outreach.Campaign.body_ja": "a newsletter's or survey's text, written for everyone",
    "outreach.Campaign.questions": "a survey's questions, written for everyone",
    # Desk tools: what admins write for assistants (card numbers masked on the way in).
    "desk.Label.name_en": "a label's name from the admin-defined list, not about anyone",
    "desk.Label.name_ja": "a label's name from the admin-defined list, not about anyone",
    "desk.CannedReply.title": "a canned reply's title, written by admins for assistants",
    "desk.CannedReply.body_en": "a canned reply's text with placeholders, written by admins",
    "desk.CannedReply.body_ja": "a canned reply's text with placeholders, written by admins",
    # Django and allauth plumbing.
    "admin.LogEntry.content_type": "which model an admin action was about",
    "auth.Group.name": "names of permission groups",
    "auth.Permission.name": "names of permissions",
    "auth.Permission.codename": "names of permissions",
    "contenttypes.ContentType.app_label": "names of models",
    "contenttypes.ContentType.model": "names of models",
    "accounts.User.groups": "permission groups, not people",
    "accounts.User.user_permissions": "permissions, not people",
    "socialaccount.SocialApp.provider": "configuration of a sign-in provider",
    "socialaccount.SocialApp.provider_id": "configuration of a sign-in provider",
    "socialaccount.SocialApp.name": "configuration of a sign-in provider",
    "socialaccount.SocialApp.client_id": "the operator's credentials at a provider",
    "socialaccount.SocialApp.secret": "the operator's credentials at a provider",
    "socialaccount.SocialApp.key": "the operator's credentials at a provider",
    "socialaccount.SocialApp.settings": "configuration of a sign-in provider",
    "socialaccount.SocialAccount.provider": "which provider (a fixed name)",
    # The erasure ledger's marks (hisho/backups/models.py): sequence numbers and hashes.
    "backups.AppliedErasure.entry_hash": "the SHA-256 of an erasure ledger entry",
    # Background jobs: Hisho's tasks take ids only (hisho/privacy/tasks.py).
    "django_tasks_database.DBTaskResult.args_kwargs": "task arguments: ids only",
    "django_tasks_database.DBTaskResult.task_path": "the task's module path",
    "django_tasks_database.DBTaskResult.worker_ids": "worker process ids",
    "django_tasks_database.DBTaskResult.queue_name": "queue names",
    "django_tasks_database.DBTaskResult.backend_name": "backend names",
    "django_tasks_database.DBTaskResult.return_value": "task results: counts only",
    "django_tasks_database.DBTaskResult.exception_class_path": "exception class names",
    "django_tasks_database.DBTaskResult.traceback": "tracebacks: code locations; errors carry "
    "no personal data (house rule 5)",
    # The vault: key material of the service, not of a person (theirs is declared).
    "vault.CustomerKey.master_key_id": "which master key wrapped it",
    "vault.DataKey.scope": "errand or profile (fixed)",
    "vault.AccessLogEntry.actor_role": "a role name",
    "vault.AccessLogEntry.action": "a fixed kind of read",
    "vault.AccessLogEntry.kinds": "the fixed kinds of read of one entry",
    # The audit chain's own bookkeeping.
    "audit.AuditEvent.event": "event names (short ASCII identifiers)",
    "audit.AuditEvent.target_type": "model names",
    "audit.AuditEvent.prev_hash": "hash chain links",
    "audit.AuditEvent.leaf_hash": "Merkle tree leaf hashes",
    "audit.AuditEvent.salt": "random salts of audit entries",
    "audit.AuditTreeNode.hash": "Merkle tree node hashes",
    "audit.AuditTreeHead.root_hash": "Merkle tree root hashes",
    "audit.AuditTreeHead.key_id": "signing key ids",
    "audit.AuditTreeHead.note": "a signed (size, root hash) checkpoint",
    "audit.AuditSubject.master_key_id": "which master key wrapped the subject key",
    "audit.AuditCheckpoint.head_hash": "hash chain links",
    "audit.AuditCheckpoint.key_id": "signing key ids",
    "audit.AuditCheckpoint.document": "a signed (count, head hash) pair",
    # Signing keys belong to the service.
    "signing.SigningKey.key_id": "the service's signing keys",
    "signing.SigningKey.public_key": "the service's signing keys",
    "signing.SigningKey.master_key_id": "the service's signing keys",
    "signing.SigningKey.wrapped_private_key": "the service's signing keys",
    # Legal disclosure cases: the case file's own bookkeeping.
    "legal.DisclosureCase.categories": "fixed category names",
    "legal.DisclosureCase.bundle_sha256": "a hash of the signed bundle",
    "legal.DisclosureCase.disclosed_kinds": "data-kind keys of policy.yaml",
    # The privacy center's own bookkeeping.
    "privacy.ConsentRecord.purpose": "purpose keys of policy.yaml",
    "privacy.ConsentRecord.fingerprint": "a hash of the policy's text",
    "privacy.ConsentConfirmation.purpose": "purpose keys of policy.yaml",
    "privacy.ConsentConfirmation.fingerprint": "a hash of the policy's text",
    "privacy.PolicyVersion.changes_en": "what changed in the policy (public text)",
    "privacy.PolicyVersion.changes_ja": "what changed in the policy (public text)",
    "privacy.PolicyVersion.document": "the published policy (public text)",
    "privacy.PolicyVersion.digest": "a hash of the policy",
    "privacy.PolicyVersion.renewed_purposes": "purpose keys of policy.yaml",
    "privacy.Disclosure.recipient": "recipient keys of policy.yaml",
    "privacy.Disclosure.purpose": "purpose keys of policy.yaml",
    "privacy.Disclosure.data": "data-kind keys of policy.yaml",
    "privacy.Disclosure.reference": "ids of what was sent (versions, requests)",
    "privacy.ConnectionRecord.route": "URL patterns (never paths, which hold ids)",
    "privacy.ConnectionRecord.method": "HTTP methods",
    "privacy.PageCount.route": "URL patterns; counts over everyone who consented",
    # Idempotent retries: the id of what a request created (its content is not kept).
    "idempotency.IdempotencyRecord.resource_id": "ids of created errands, messages, cases",
    # The sandbox payment provider's own record of a checkout (the provider's side, as
    # Stripe would keep it): Hisho's request id, amounts, statuses and Hisho's own URLs.
    "payments.SandboxSession.client_reference_id": "Hisho's payment request id",
    "payments.SandboxSession.payment_status": "a fixed status word",
    "payments.SandboxSession.currency": "a currency code",
    "payments.SandboxSession.payment_intent": "the sandbox's random payment id",
    "payments.SandboxSession.success_url": "Hisho's own return URL (ids only)",
    "payments.SandboxSession.cancel_url": "Hisho's own return URL (ids only)",
    # Partners (hisho/partners): releases hold only DP counts over groups of at least the
    # report's minimum size; offers are a business's public advertisements (DLP-scrubbed).
    "partners.Release.report": "report keys of policy.yaml",
    "partners.Release.signed": "a signed release: noisy counts over large groups, ε and δ",
    "partners.Offer.title": "a partner's advertisement (public text, DLP-scrubbed)",
    "partners.Offer.body": "a partner's advertisement (public text, DLP-scrubbed)",
    "partners.Offer.url": "the partner's own web address (public)",
    "partners.Offer.categories": "errand category keys of policy.yaml",
    "partners.Offer.language": "a language code",
}


@dataclass(frozen=True)
class FieldRef:
    label: str  # "app_label.Model.field"
    model: type[models.Model]
    field: models.Field  # type: ignore[type-arg]


def field_label(model: type[models.Model], field: models.Field) -> str:  # type: ignore[type-arg]
    return f"{model._meta.app_label}.{model._meta.object_name}.{field.name}"


def links_to_person(field: models.Field) -> bool:  # type: ignore[type-arg]
    """A relation to the user model, or a plain column named as a person's id."""
    if field.is_relation:
        return field.related_model is apps.get_model(settings.AUTH_USER_MODEL)
    return field.name.endswith(PERSON_ID_SUFFIXES)


def can_hold_personal_data(field: models.Field) -> bool:  # type: ignore[type-arg]
    if field.primary_key and not field.is_relation:
        return False
    if links_to_person(field):
        return True
    if field.is_relation:
        return False
    return isinstance(field, _FREE_CONTENT) and not field.choices


def model_fields() -> Iterator[FieldRef]:
    """Every concrete field and many-to-many relation of every installed model."""
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            yield FieldRef(field_label(model, field), model, field)


def personal_fields(policy: Policy | None = None) -> dict[str, str]:
    """Declared personal-data fields → the kind of data they hold (policy.yaml)."""
    policy = policy or current_policy()
    return {label: kind.key for kind in policy.data.values() for label in kind.fields}


def undeclared_fields(policy: Policy | None = None) -> list[str]:
    """Fields that can hold personal data but are declared nowhere (should be empty)."""
    declared = personal_fields(policy)
    return sorted(
        ref.label
        for ref in model_fields()
        if can_hold_personal_data(ref.field)
        and ref.label not in declared
        and ref.label not in NOT_PERSONAL
    )


def person_links() -> list[FieldRef]:
    """Every field that links a row to a person: what erasure must leave pointing nowhere."""
    return [ref for ref in model_fields() if links_to_person(ref.field)]
