"""Django's admin site shows errands as a triage card only (category, status, assignee):
never their content, nor even the note for coordinators."""

from django.contrib import admin

from hisho.admin_filters import ListedFiltersOnly
from hisho.desk.models import Errand


@admin.register(Errand)
class ErrandAdmin(ListedFiltersOnly):
    list_display = ("id", "status", "category", "assignee", "created_at")
    list_filter = ("status", "category")
    fields = ("id", "status", "category", "customer", "assignee", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        # Changes go through actions (assignment page), never raw admin edits.
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
