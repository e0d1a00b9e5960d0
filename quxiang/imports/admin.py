from django.contrib import admin

from quxiang.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only history of roster uploads (the work happens on /office/import/)."""

    list_display = ["created_at", "original_name", "created_by", "status", "rows_total", "rows_new", "rows_updated",
                    "rows_unchanged", "rows_error"]
    list_filter = ["status"]
    exclude = ["problems"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
