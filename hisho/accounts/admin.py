"""Django's admin site shows accounts by id, e-mail and role; no personal fields. It
changes nothing itself: the one change it offers, deactivating an account, goes through
`do_set_active` (every session ends, audited); roles change through four eyes on the
People page, accounts are erased only by their owner (or closed by deactivation)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hisho.accounts.actions import do_set_active
from hisho.accounts.models import User
from hisho.admin_filters import ListedFiltersOnly


@admin.register(User)
class UserAdmin(ListedFiltersOnly):
    list_display = ("id", "email", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email",)
    fields = ("email", "role", "is_active", "date_joined", "last_login")
    readonly_fields = ("email", "role", "date_joined", "last_login")
    actions = None  # no bulk delete

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        stored = User.objects.get(pk=obj.pk)
        if obj.is_active != stored.is_active:
            do_set_active(actor=request.user, user=stored, active=obj.is_active)  # type: ignore[arg-type]
