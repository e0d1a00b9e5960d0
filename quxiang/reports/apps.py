from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "quxiang.reports"
    verbose_name = "统计与上报"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the national export's job kind, in the web process (which queues it) and in the worker.
        from quxiang.reports import tasks  # noqa: F401
