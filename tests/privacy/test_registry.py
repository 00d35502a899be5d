"""The personal-data field registry (POLICY K1, K5): every field that can hold personal
data is declared in policy.yaml (or, with a reason, as not personal)."""

from __future__ import annotations

import copy
from typing import Any

from django.apps import apps
from django.db import models

from hisho.privacy.policy import Policy, current_policy
from hisho.privacy.registry import (
    NOT_PERSONAL,
    can_hold_personal_data,
    model_fields,
    personal_fields,
    undeclared_fields,
)


def test_every_field_that_can_hold_personal_data_is_declared() -> None:
    missing = undeclared_fields()
    assert missing == [], (
        "declare these in hisho/privacy/policy.yaml (data[].fields) or, if they hold no "
        f"personal data, in hisho/privacy/registry.py NOT_PERSONAL: {missing}"
    )


def test_removing_a_declaration_is_noticed() -> None:
    document = copy.deepcopy(current_policy().document)
    phone = next(kind for kind in document["data"] if kind["key"] == "phone")
    phone["fields"] = []
    assert "accounts.User.sealed_phone" in undeclared_fields(Policy.from_document(document))


def test_declarations_name_real_fields_of_installed_apps() -> None:
    existing = {ref.label for ref in model_fields()}
    installed = {config.label for config in apps.get_app_configs()}
    for label in [*personal_fields(), *NOT_PERSONAL]:
        if label.split(".")[0] in installed:
            assert label in existing, f"{label} is declared but does not exist"


def test_what_counts_as_able_to_hold_personal_data() -> None:
    user = apps.get_model("accounts", "User")
    assert can_hold_personal_data(user._meta.get_field("email"))
    assert can_hold_personal_data(user._meta.get_field("sealed_phone"))
    assert not can_hold_personal_data(user._meta.get_field("is_active"))
    assert not can_hold_personal_data(user._meta.get_field("id"))
    errand = apps.get_model("desk", "Errand")
    assert can_hold_personal_data(errand._meta.get_field("assignee"))  # a link to a person
    assert not can_hold_personal_data(errand._meta.get_field("status"))  # fixed choices
    event = apps.get_model("audit", "AuditEvent")
    assert can_hold_personal_data(event._meta.get_field("actor_id"))  # a person's id
    field: Any = models.TextField()
    field.set_attributes_from_name("notes")
    assert can_hold_personal_data(field)
