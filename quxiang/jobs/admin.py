from django.contrib import admin

from quxiang.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only history of background jobs (each app's own page starts and shows them)."""

    list_display = ["created_at", "kind", "created_by", "status", "progress_done", "progress_total", "attempts",
                    "finished_at"]
    list_filter = ["status", "kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
