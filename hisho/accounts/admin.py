"""Django's admin site shows accounts by id, e-mail and role; no personal fields."""

from django.contrib import admin

from hisho.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "email", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email",)
    fields = ("email", "role", "is_active", "date_joined", "last_login")
    readonly_fields = ("email", "role", "date_joined", "last_login")

    def has_add_permission(self, request: object) -> bool:
        return False
