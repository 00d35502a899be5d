"""Django's admin site shows errands as a triage view only: never their content."""

from django.contrib import admin

from hisho.desk.models import Errand


@admin.register(Errand)
class ErrandAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "status", "summary", "assignee", "created_at")
    list_filter = ("status",)
    fields = ("id", "status", "summary", "customer", "assignee", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        # Changes go through actions (assignment page), never raw admin edits.
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
