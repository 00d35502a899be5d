"""Django's admin site filters by what its side panel offers, nothing else.

A changelist takes any field lookup in its query string (`?id__in=…`, `?date_joined__year=`,
`?email__regex=(`): a number too large for the database, a year 1 or a broken regex each
ends in a 500. Hisho's admin pages filter by their `list_filter` choices and search by
`search_fields`; any other lookup is refused as Django refuses a disallowed one (400).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin


class ListedFiltersOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        return lookup in {f"{name}__exact" for name in self.list_filter if isinstance(name, str)}
