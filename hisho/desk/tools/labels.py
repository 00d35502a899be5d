"""Reading labels: the admin-defined list, and the labels set on a page of errands."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from hisho.desk.models import ErrandLabel, Label


def all_labels() -> list[Label]:
    return list(Label.objects.order_by("id"))


def labels_of(errand_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Label]]:
    """The labels of each errand, in one query whatever the number of errands."""
    out: dict[uuid.UUID, list[Label]] = defaultdict(list)
    ids = list(errand_ids)
    if not ids:
        return out
    links = (
        ErrandLabel.objects.filter(errand_id__in=ids).select_related("label").order_by("label_id")
    )
    for link in links:
        out[link.errand_id].append(link.label)
    return out
