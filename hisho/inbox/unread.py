"""Unread counts as a query annotation: one subquery, whatever the number of rows."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from hisho.accounts.models import User
from hisho.desk.models import Errand, Message
from hisho.inbox.models import ReadMarker


def with_unread(errands: QuerySet[Errand], reader: User) -> QuerySet[Errand]:
    """`errands` annotated with `unread`: messages by others after the reader's marker
    (all of them when the reader has never opened the errand)."""
    marker = ReadMarker.objects.filter(errand_id=OuterRef("errand_id"), person_id=reader.pk)
    unread = (
        Message.objects.filter(errand_id=OuterRef("pk"))
        .exclude(author_id=reader.pk)
        .filter(id__gt=Coalesce(Subquery(marker.values("last_read_id")[:1]), Value(0)))
        .order_by()
        .values("errand_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return errands.annotate(
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))
    )
