"""Where an attachment's sealed name and file live, and how they are sealed (the vault's
cells: table, row, field) — shared by the actions that write and the readers that open."""

from __future__ import annotations

import uuid

from django.core.files.storage import Storage, storages

from hisho.attachments.models import Attachment
from hisho.desk.models import Errand
from hisho.vault.sealing import Place, Scope

TABLE = Attachment._meta.db_table


def attachment_storage() -> Storage:
    return storages["attachments"]


def errand_scope(errand: Errand) -> Scope:
    return Scope(customer_id=errand.customer_id, errand_id=errand.pk)


def name_place(attachment_id: uuid.UUID) -> Place:
    return Place(TABLE, str(attachment_id), "name")


def file_place(attachment_id: uuid.UUID) -> Place:
    return Place(TABLE, str(attachment_id), "content")
